//go:build !unix

package store

import "errors"

// mapFile: no mapping here; sealed segments are read by pread as the
// current one is.
func mapFile(*segment, int64) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFile([]byte) {}

//go:build !unix

package safeopen

import (
	"fmt"
	"io/fs"
	"os"
)

// Elsewhere (Windows) there are no FIFOs to block an open: refuse links and
// non-regular files by Lstat, open, and check the opened file again.
func openNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s %w", path, ErrSymlink)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %w", path, ErrNotRegular)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if after, err := f.Stat(); err != nil || !os.SameFile(fi, after) {
		f.Close()
		return nil, fmt.Errorf("%s changed while it was opened", path)
	}
	return f, nil
}

// Links is 1 where the platform does not count hard links here.
func Links(fs.FileInfo) uint64 { return 1 }

// Owner is unknown here.
func Owner(fs.FileInfo) (int, bool) { return 0, false }

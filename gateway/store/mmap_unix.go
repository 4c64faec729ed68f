//go:build unix

package store

import (
	"fmt"
	"syscall"
)

// mapFile maps the first size bytes of the segment's file read-only.
func mapFile(g *segment, size int64) ([]byte, error) {
	rc, err := g.f.SyscallConn() // fails on a closed file, never maps another fd
	if err != nil {
		return nil, err
	}
	var m []byte
	var merr error
	if err := rc.Control(func(fd uintptr) {
		m, merr = syscall.Mmap(int(fd), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	}); err != nil {
		return nil, err
	}
	if merr != nil {
		return nil, fmt.Errorf("map journal segment %s: %w", g.path, merr)
	}
	return m, nil
}

func unmapFile(m []byte) { syscall.Munmap(m) }

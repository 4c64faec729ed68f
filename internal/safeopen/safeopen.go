// Package safeopen opens files whose path someone else chose: an image_path
// a script printed, a file listed in a folder that every analyst can write.
// Such a path may be a symbolic link to a file the opener may read but its
// author may not (the webapp's secrets), a FIFO that blocks open(2) for
// ever, a device, or a huge file. Open refuses all of these without
// blocking and returns only a regular file within a size bound.
//
// No library does this: os.Root stops a path from leaving a folder but
// still follows links inside it and blocks on a FIFO; it is a few system
// calls, kept here once for every caller.
package safeopen

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// The reasons a path is refused. Errors from Open and ReadFile wrap one of
// these (or the system's error, such as fs.ErrNotExist or
// fs.ErrPermission).
var (
	ErrSymlink    = errors.New("is a symbolic link")
	ErrNotRegular = errors.New("is not a regular file")
	ErrTooLarge   = errors.New("is too large")
)

// Open opens path read-only. A symbolic link as the last element of path is
// refused, not followed; so is anything but a regular file (a FIFO, a
// device, a socket, a folder), without blocking in open(2): the file is
// opened with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, checked with fstat, and only
// then put back in blocking mode. A file of more than maxBytes is refused
// (maxBytes <= 0: no bound). The FileInfo is the opened file's own.
func Open(path string, maxBytes int64) (*os.File, fs.FileInfo, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s %w", path, ErrNotRegular)
	}
	if maxBytes > 0 && fi.Size() > maxBytes {
		f.Close()
		return nil, nil, fmt.Errorf("%s %w: %d bytes, more than the %d allowed", path, ErrTooLarge, fi.Size(), maxBytes)
	}
	return f, fi, nil
}

// ReadFile opens path as Open does and reads it whole, at most maxBytes
// (which must be > 0): a file that grows past the bound while it is read is
// refused too.
func ReadFile(path string, maxBytes int64) ([]byte, error) {
	f, _, err := Open(path, maxBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%s %w: more than %d bytes", path, ErrTooLarge, maxBytes)
	}
	return data, nil
}

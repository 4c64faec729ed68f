//go:build unix

package safeopen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func openNoFollow(path string) (*os.File, error) {
	// A first look without opening: a FIFO or a device is refused before
	// open(2) could block on it or have a side effect (a tape rewinds on
	// open). The open below checks again, so a swap in between is caught.
	if fi, err := os.Lstat(path); err != nil {
		return nil, err
	} else if err := refuse(path, fi.Mode()); err != nil {
		return nil, err
	}
	return openChecked(path)
}

// openChecked opens path without following a link or blocking, and keeps
// it only if it is a regular file.
func openChecked(path string) (*os.File, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		// O_NOFOLLOW on a link fails with ELOOP (EMLINK on some BSDs).
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
			return nil, fmt.Errorf("%s %w", path, ErrSymlink)
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, fmt.Errorf("%s %w", path, ErrNotRegular)
	}
	// Reads of a regular file never block; clear the flag so the file
	// behaves as any other for the callers.
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func refuse(path string, m fs.FileMode) error {
	switch {
	case m&fs.ModeSymlink != 0:
		return fmt.Errorf("%s %w", path, ErrSymlink)
	case !m.IsRegular():
		return fmt.Errorf("%s %w", path, ErrNotRegular)
	}
	return nil
}

// Links is the number of hard links to the file fi describes. A file an
// analyst published has one; a hard link made to someone else's file has
// at least two.
func Links(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// Owner is the uid that owns the file fi describes; ok is false where the
// platform does not say.
func Owner(fi fs.FileInfo) (uid int, ok bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), true
	}
	return 0, false
}

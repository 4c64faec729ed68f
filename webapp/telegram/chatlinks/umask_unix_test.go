//go:build unix

package chatlinks_test

import "syscall"

// setUmask sets the process's umask (a file's mode must not depend on it).
func setUmask(mask int) { syscall.Umask(mask) }

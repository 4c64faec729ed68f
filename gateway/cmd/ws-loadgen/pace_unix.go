//go:build unix

package main

import (
	"syscall"
	"time"
)

// sleepPrecisely sleeps d in nanosleep(2), a high-resolution timer of the
// kernel's, not the runtime's millisecond-grained timer wait.
func sleepPrecisely(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

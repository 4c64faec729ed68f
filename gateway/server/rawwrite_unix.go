//go:build unix && !linux

package server

import "syscall"

// rawWrite is write(2), again when a signal interrupts it (Linux's, in
// sock_linux.go, also stays out of the runtime's system-call state).
func rawWrite(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

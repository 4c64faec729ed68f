package server_test

import "syscall"

// setReceiveBuffer sets a socket's SO_RCVBUF (syscall's fd type differs per OS).
func setReceiveBuffer(fd uintptr, n int) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}

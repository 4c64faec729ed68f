package server

import (
	"net"
	"syscall"
)

// socket is an accepted WebSocket connection: a *net.TCPConn, or on Linux
// a sockConn of the gateway's own (sock_linux.go).
type socket interface {
	net.Conn
	CloseWrite() error
	SetLinger(sec int) error
	// SyscallConn's Control lends the descriptor (writeNonBlocking, the
	// poller's watch) while holding it open.
	SyscallConn() (syscall.RawConn, error)
}

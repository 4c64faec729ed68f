package server

import (
	"context"
	"net"
	"syscall"
)

// socket is an accepted WebSocket connection: a *net.TCPConn, or on Linux
// a sockConn of the gateway's own (sock_linux.go).
type socket interface {
	net.Conn
	CloseWrite() error
	SetLinger(sec int) error
	// SyscallConn's Control lends the descriptor (writeNonBlocking) while
	// holding it open.
	SyscallConn() (syscall.RawConn, error)
}

// listenTCP binds addr for the apps' connections. No TCP keep-alive on
// their sockets: the heartbeat finds dead peers, and the option costs
// system calls on every connection.
func listenTCP(addr string) (*net.TCPListener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return ln.(*net.TCPListener), nil
}

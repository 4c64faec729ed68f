//go:build !linux

package server

import (
	"context"
	"net"
)

// Elsewhere than Linux the WebSocket listener is net's and an accepted
// connection a *net.TCPConn (sock_linux.go has why Linux's differ).
type wsListener struct{ *net.TCPListener }

func listenWS(addr string) (*wsListener, error) {
	// No TCP keep-alive on the apps' sockets: the heartbeat finds dead
	// peers, and the option costs system calls on every connection.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &wsListener{ln.(*net.TCPListener)}, nil
}

func (l *wsListener) accept() (socket, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return c, nil
}

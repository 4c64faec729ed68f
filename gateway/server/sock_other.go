//go:build !linux

package server

import (
	"net"
)

// Elsewhere than Linux the WebSocket listener is net's and an accepted
// connection a *net.TCPConn (sock_linux.go has why Linux's differ).
type wsListener struct{ *net.TCPListener }

func listenWS(addr string) (*wsListener, error) {
	ln, err := listenTCP(addr)
	if err != nil {
		return nil, err
	}
	return &wsListener{ln}, nil
}

func (l *wsListener) accept() (socket, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return c, nil
}

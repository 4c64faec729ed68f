//go:build !linux

package server

import (
	"bufio"
	"errors"
)

// Elsewhere than Linux each authenticated connection keeps a reader
// goroutine parked in a read (netpoll_linux.go watches idle sockets with
// epoll instead). The reader always runs, so it is always the one that
// finishes the connection.

type poller struct{}

func newPoller() (*poller, error) { return &poller{}, nil }
func (p *poller) run()            {}
func (p *poller) close()          {}
func (p *poller) forget(*client)  {}

// startReading starts c's reader goroutine; it keeps the read buffer c.br
// borrowed (lent) for good.
func (c *client) startReading(lent *bufio.Reader, _ bool) {
	_ = lent
	go c.serve()
}

// serve reads until the connection ends. It stays shallow while parked in
// a read so an idle connection's stack fits the runtime's smallest (2 KB):
// the logging and cleanup live in finish, which only runs at the end.
func (c *client) serve() {
	for {
		if why, ok := c.readFrame(); !ok {
			c.g.finish(c, why)
			return
		}
	}
}

// Nothing parks here (park.go): a handshake waits in its read.
func nothingToRead(socket, *bufio.Reader) bool { return false }

func (p *poller) watchParked(*parked) error { return errors.ErrUnsupported }
func (p *poller) forgetParked(*parked)      {}

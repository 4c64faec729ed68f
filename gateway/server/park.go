package server

import (
	"bufio"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// A handshake that must wait for the client (its request has not arrived
// after the accept, or its auth frame after the 101) is parked on Linux:
// the gateway's poller watches its socket, as it watches idle connections,
// and its handshaker goes on to the next connection. The handshake
// resumes on a handshaker when the socket is readable (parked.readable),
// or when its deadline passes (sweepParked) or the gateway shuts down
// (endHandshakes), then with its read deadline past, so that its read
// fails as a read waiting in the runtime's poller would have: a silent
// client is closed by the auth timeout as before, with the same answers.
// A parked handshake holds no goroutine, no runtime timer and no read
// buffer; one in a reconnect storm no longer costs a parked read in the
// runtime's poller (a registration, a read that finds nothing, a park and
// a wake-up) beside the gateway's own watch it gets once authenticated.
// (Elsewhere than Linux nothing parks: netpoll_other.go.)

// parked is a parked handshake: waiting for its request (ws nil), or for
// its auth frame after the upgrade.
type parked struct {
	g        *Gateway
	c        socket
	deadline time.Time
	// After the upgrade: gorilla's connection, the reader it reads
	// through (its buffer lent back while parked), nginx's X-Real-IP.
	ws     *websocket.Conn
	br     *bufio.Reader
	lent   *bufio.Reader       // the buffer br holds, if any (not while parked)
	frame  *protocol.AuthFrame // the auth frame, if it was read (a resume)
	realIP string
	// Its watch in the poller (netpoll_linux.go).
	pollSlot, pollGen uint32
	// resumed: claimed by whoever resumes it (its socket's readiness, the
	// sweep, shutdown), which is one of them, once.
	resumed atomic.Bool
}

// parkedSweepTick is how often parked handshakes are checked for their
// deadline: a tenth of the auth timeout (a silent client is closed at
// most that late), at most a second. The sweep runs only while some are
// parked.
func parkedSweepTick(authTimeout time.Duration) time.Duration {
	return min(max(authTimeout/10, time.Millisecond), time.Second)
}

// park registers p as parked, unless the gateway is stopping, then
// watches its socket; false (and nothing registered) when it cannot, and
// the caller then reads on as if it had not tried.
func (g *Gateway) park(p *parked) bool {
	g.mu.Lock()
	if g.stopping {
		g.mu.Unlock()
		return false
	}
	p.g = g
	g.handshaking[p.c] = p
	if !g.sweepArmed {
		g.sweepArmed = true
		time.AfterFunc(parkedSweepTick(g.cfg.AuthTimeout), g.sweepParked)
	}
	g.mu.Unlock()
	if err := g.poll.watchParked(p); err != nil {
		if p.resumed.CompareAndSwap(false, true) {
			g.mu.Lock()
			g.handshaking[p.c] = nil
			g.mu.Unlock()
			return false
		}
		// Shutdown resumed it meanwhile: it is theirs now.
	} else if p.resumed.Load() {
		// Resumed while its watch was being added (by shutdown, whose
		// resume may have come before the slot: free it; a no-op if the
		// resume freed it).
		g.poll.forgetParked(p)
	}
	return true
}

// resume hands a parked handshake, claimed, back to a handshaker.
func (g *Gateway) resume(p *parked) {
	g.unpark(p)
	g.startHandshake(acceptedConn{c: p.c, deadline: p.deadline, parked: p})
}

// unpark takes a claimed parked handshake out of the poller and out of
// the parked ones; it is still a handshake under way (handshaking).
func (g *Gateway) unpark(p *parked) {
	g.poll.forgetParked(p)
	g.mu.Lock()
	if _, ok := g.handshaking[p.c]; ok {
		g.handshaking[p.c] = nil
	}
	g.mu.Unlock()
}

// sweepParked resumes the parked handshakes whose deadline has passed (so
// their read fails with a timeout) and runs again while any are parked.
func (g *Gateway) sweepParked() {
	now := time.Now()
	var due []*parked
	g.mu.Lock()
	left := false
	for _, p := range g.handshaking {
		if p == nil {
			continue
		}
		if now.Before(p.deadline) {
			left = true
		} else if p.resumed.CompareAndSwap(false, true) {
			due = append(due, p)
		}
	}
	g.sweepArmed = left && !g.stopping
	if g.sweepArmed {
		time.AfterFunc(parkedSweepTick(g.cfg.AuthTimeout), g.sweepParked)
	}
	g.mu.Unlock()
	for _, p := range due {
		g.resume(p) // its read deadline, this deadline, has passed
	}
}

// resumeAuth goes on with a handshake parked after its upgrade: the auth
// frame has come (or the deadline has passed).
func (g *Gateway) resumeAuth(p *parked) {
	authed := false
	defer func() { g.handshakeDone(p.c, authed) }()
	lent := p.lent
	if lent == nil {
		lent = borrowBuffer(p.br, p.c)
	}
	if p.frame != nil {
		authed = g.handleAuth(p.ws, p.c, p.br, lent, p.realIP, nil, p.frame, nil, false)
		return
	}
	authed = g.handleWS(p.ws, p.c, p.br, lent, p.realIP)
}

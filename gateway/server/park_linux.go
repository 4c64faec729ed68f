//go:build linux

package server

import (
	"bufio"
	"encoding/binary"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// resumeFromPoller resumes a parked handshake whose socket is readable.
// The poller's goroutine goes on with it itself as far as it need not
// wait, as the accept loop does: it answers a request that is there whole
// (serveConn inline) and authenticates an auth frame that is there whole,
// without resume: a hand-off to a handshaker (a wake-up of another
// goroutine, often of another thread) per connect cost more than the
// auth. What could make it wait goes to a handshaker: a request or frame
// not yet whole, a resume (its replay is written at once, however slow
// the client), cluster mode (its attach asks NATS).
func (g *Gateway) resumeFromPoller(p *parked) {
	if p.ws != nil && g.cfg.Cluster.Enabled() {
		g.resume(p)
		return
	}
	g.unpark(p)
	if p.ws == nil {
		g.serveConn(acceptedConn{c: p.c, deadline: p.deadline}, true)
		return
	}
	lent := borrowBuffer(p.br, p.c)
	if nothingToRead(p.c, p.br) || !wholeDataFrame(p.br) {
		p.lent = lent
		g.startHandshake(acceptedConn{c: p.c, deadline: p.deadline, parked: p})
		return
	}
	_, data, err := p.ws.ReadMessage() // whole in the buffer: does not wait
	var frame *protocol.AuthFrame      // parsed once: handleAuth parses what is not
	if err == nil {
		if f, perr := protocol.ParseAuthFrame(data); perr == nil {
			if f.Resume != nil {
				kept := f // to the heap, only for a resume
				p.lent, p.frame = lent, &kept
				g.startHandshake(acceptedConn{c: p.c, deadline: p.deadline, parked: p})
				return
			}
			frame = &f
		}
	}
	authed := g.handleAuth(p.ws, p.c, p.br, lent, p.realIP, data, frame, err, true)
	g.handshakeDone(p.c, authed)
}

// wholeDataFrame reports whether br holds a whole first frame, final and
// of text or binary: reading it does not wait.
func wholeDataFrame(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	if len(b) < 2 || b[0]&0x70 != 0 {
		return false
	}
	if fin, op := b[0]&0x80 != 0, b[0]&0x0f; !fin || op != websocket.TextMessage && op != websocket.BinaryMessage {
		return false
	}
	n, head := int(b[1]&0x7f), 2
	switch n {
	case 127:
		return false // over 64 KiB: gorilla refuses it, from a handshaker
	case 126:
		if len(b) < 4 {
			return false
		}
		n, head = int(binary.BigEndian.Uint16(b[2:4])), 4
	}
	if b[1]&0x80 != 0 {
		head += 4 // the mask
	}
	return len(b) >= head+n
}

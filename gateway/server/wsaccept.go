package server

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The WebSocket listener is served by an accept loop of our own instead of
// an http.Server: every connection here is one request (an upgrade) and
// then a WebSocket, so net/http's per-connection machinery (its conn and
// response objects, a context, the ServeMux, a goroutine whose stack grows
// deep) is work done and thrown away on every connect. The request is
// parsed by fasthttp when it is plain, else by net/http (request.go), and
// upgraded by gorilla's Upgrader, which is handed a minimal ResponseWriter
// and Hijacker. On Linux the accept loop itself answers a request that is
// there whole and parks the wait for the auth frame (park.go); what could
// wait for a client goes to handshaker goroutines (serveConn).

// maxRequestBytes bounds the upgrade request (request line and headers).
// Generous: through nginx a browser may send the webapp's cookies too.
const maxRequestBytes = 64 << 10

// handshake is the per-connection state while the upgrade request is read
// and answered. Pooled: nothing of it outlives the upgrade.
type handshake struct {
	lr  io.LimitedReader
	br  *bufio.Reader
	bw  *bufio.Writer // only lends gorilla a buffer for the 101 answer
	rw  bufio.ReadWriter
	hdr http.Header
	// An error answer, buffered until the handler is done.
	status int
	body   []byte
	conn   socket
	hijack bool
	// The WebSocket's own reader (Hijack) and the buffer it borrowed.
	wsBR, lent *bufio.Reader
}

var handshakePool = sync.Pool{New: func() any {
	h := &handshake{br: bufio.NewReaderSize(nil, 4096), bw: bufio.NewWriterSize(nil, 256)}
	h.rw = bufio.ReadWriter{Reader: h.br, Writer: h.bw}
	return h
}}

func (h *handshake) Header() http.Header {
	if h.hdr == nil {
		h.hdr = http.Header{}
	}
	return h.hdr
}

func (h *handshake) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *handshake) Write(p []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	h.body = append(h.body, p...)
	return len(p), nil
}

// Hijack hands gorilla the connection. The request was read in full and a
// client must not send frames before the 101: when the request's reader
// is empty, gorilla is handed a reader of the connection's own (it takes
// it, Upgrader.ReadBufferSize being 0), with a buffer borrowed from the
// pool; else the request's, and gorilla refuses the connection.
func (h *handshake) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijack = true
	if h.br.Buffered() == 0 {
		h.wsBR = new(bufio.Reader)
		h.lent = borrowBuffer(h.wsBR, h.conn)
		h.rw.Reader = h.wsBR
	}
	return h.conn, &h.rw, nil
}

// reply writes the buffered error answer and closes the connection.
func (h *handshake) reply() {
	status := h.status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	answer(h.conn, status, h.hdr, h.body)
}

// answer writes an HTTP answer that closes the connection, then closes it.
// Content-Length and Connection are its own; hdr's values are sanitised.
func answer(c socket, status int, hdr http.Header, body []byte) {
	b := make([]byte, 0, 256+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	for k, vs := range hdr {
		if k == "Content-Length" || k == "Connection" {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, sanitizeHeader(v)...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\nConnection: close\r\n\r\n"...)
	b = append(b, body...)
	c.Write(b)
	closeLingering(c)
}

func sanitizeHeader(v string) []byte {
	b := []byte(v)
	for i, c := range b {
		if c < ' ' {
			b[i] = ' '
		}
	}
	return b
}

// closeLingering closes after the peer had a moment to read an error
// answer: closing with unread request bytes would reset the connection
// and could discard the answer before the client sees it.
func closeLingering(c socket) {
	c.CloseWrite()
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.CopyN(io.Discard, c, 256<<10)
	c.Close()
}

// answerPlain answers a request that could not be parsed and closes.
func answerPlain(c socket, status int) {
	answer(c, status, plainText, []byte(strconv.Itoa(status)+" "+http.StatusText(status)))
}

var plainText = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}

// serveWS accepts WebSocket connections until Shutdown closes the
// listener. Like net/http, it backs off on temporary accept errors (out of
// file descriptors) instead of failing.
func (g *Gateway) serveWS() error {
	var delay time.Duration
	for {
		c, err := g.wsLn.accept()
		if err != nil {
			if g.isStopping() {
				return http.ErrServerClosed
			}
			if isTemporary(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				g.log.Warn("accept failed; retrying", "error", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		// One deadline for the whole handshake: a client slow to send its
		// request (all of it, or half and then nothing) or its auth frame is
		// closed within the auth timeout. Set before the connection is tracked so
		// Shutdown's earlier deadline is never overwritten.
		deadline := time.Now().Add(g.cfg.AuthTimeout)
		c.SetDeadline(deadline)
		switch g.trackHandshake(c) {
		case handshakeStopping:
			c.Close()
			return http.ErrServerClosed
		case handshakeFull:
			// Closed unread and unanswered: an answer would hold the
			// descriptor longer, and a real app just retries.
			c.SetLinger(0)
			c.Close()
			g.metrics.PendingRefused.Inc()
			continue
		}
		// Its request is read here, if it is there whole, and answered,
		// up to the wait for the auth frame (park.go); anything that
		// could wait for the client goes to a handshaker (serveConn).
		g.serveConn(acceptedConn{c: c, deadline: deadline}, true)
	}
}

// acceptedConn is an accepted connection for a handshaker, with the
// deadline of its handshake.
type acceptedConn struct {
	c        socket
	deadline time.Time
	// A handshake begun by the accept loop, whose request is in h's
	// buffer in part, or one to resume after the upgrade (park.go).
	h      *handshake
	parked *parked
}

// maxIdleHandshakers bounds the handshakers kept waiting for the next
// connection (their stacks: ~8 KB each).
const maxIdleHandshakers = 64

// startHandshake hands an accepted connection to a handshaker waiting for
// one, or starts one.
func (g *Gateway) startHandshake(ac acceptedConn) {
	select {
	case g.handoff <- ac:
	default:
		g.done.Add(1)
		go g.handshaker(ac)
	}
}

// handshaker serves a connection from its upgrade request (or where the
// accept loop or the poller left it) to its auth_ok (serveConn, resumeAuth),
// then waits for the next one, up to maxIdleHandshakers
// waiting at once, until shutdown. A goroutine that lives on keeps the
// stack its first handshake grew (the request parser, gorilla, the token
// check and encoding/json take it past the runtime's starting size): a
// fresh goroutine per connect grew and copied it anew every time.
func (g *Gateway) handshaker(ac acceptedConn) {
	defer g.done.Done()
	for {
		if p := ac.parked; p != nil && p.ws != nil {
			g.resumeAuth(p)
		} else {
			g.serveConn(ac, false)
		}
		if g.idleHandshakers.Add(1) > maxIdleHandshakers {
			g.idleHandshakers.Add(-1)
			return
		}
		select {
		case ac = <-g.handoff:
			g.idleHandshakers.Add(-1)
		case <-g.stopBeat: // shutting down
			g.idleHandshakers.Add(-1)
			return
		}
	}
}

func isTemporary(err error) bool {
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

type handshakeAdmission int

const (
	handshakeTracked handshakeAdmission = iota
	handshakeStopping
	handshakeFull // MaxPending handshakes are under way
)

// trackHandshake registers a connection that is not authenticated yet, so
// Shutdown can cut its handshake short, unless shutting down or
// MaxPending are under way already. The first refusal of a run of them is
// logged; the metric counts each.
func (g *Gateway) trackHandshake(c socket) handshakeAdmission {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping {
		return handshakeStopping
	}
	if len(g.handshaking) >= g.cfg.MaxPending {
		if !g.pendingFull {
			g.pendingFull = true
			g.log.Warn("too many connections waiting to authenticate; closing new ones until some finish",
				slog.Int("max_pending", g.cfg.MaxPending))
		}
		return handshakeFull
	}
	g.pendingFull = false
	g.handshaking[c] = nil
	g.handshakes.Add(1)
	return handshakeTracked
}

// handshakeDone ends what trackHandshake began; track has untracked an
// authenticated connection already.
func (g *Gateway) handshakeDone(c socket, authed bool) {
	if !authed {
		g.mu.Lock()
		delete(g.handshaking, c)
		g.mu.Unlock()
	}
	g.handshakes.Done()
}

// endHandshakes makes every pending handshake's read fail now, resuming
// the parked ones; each then closes its connection (with 1001 once
// upgraded). Called with stopping set.
func (g *Gateway) endHandshakes() {
	now := time.Now()
	var resume []*parked
	g.mu.Lock()
	for c, p := range g.handshaking {
		c.SetReadDeadline(now)
		if p != nil && p.resumed.CompareAndSwap(false, true) {
			resume = append(resume, p)
		}
	}
	g.mu.Unlock()
	for _, p := range resume {
		g.resume(p)
	}
}

func (g *Gateway) isStopping() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopping
}

// serveConn reads the upgrade request under the auth deadline, upgrades
// and hands the WebSocket to handleWS. inline: called by the accept loop,
// which must never wait for a client: a request not yet there whole, or
// an auth frame there already (its auth may write a replay), goes to a
// handshaker; a wait for the request or the auth frame is parked.
func (g *Gateway) serveConn(ac acceptedConn, inline bool) {
	c, deadline := ac.c, ac.deadline
	authed, waiting := false, false
	defer func() {
		if !waiting {
			g.handshakeDone(c, authed)
		}
	}()
	h := ac.h
	if h == nil {
		h = newHandshake(c)
		if nothingToRead(c, h.br) {
			h.release()
			if g.park(&parked{c: c, deadline: deadline}) {
				waiting = true
				return
			}
			h = newHandshake(c)
		}
	}
	var (
		req  *http.Request
		fast *fastRequest
		err  error
	)
	if fast = readPlainRequest(h.br); fast != nil {
		req = &fast.req
	} else if inline {
		waiting = true
		g.startHandshake(acceptedConn{c: c, deadline: deadline, h: h})
		return
	} else {
		req, err = http.ReadRequest(h.br)
	}
	if err != nil {
		tooLarge := h.lr.N <= 0
		h.release()
		var ne net.Error
		switch {
		case tooLarge:
			answerPlain(c, http.StatusRequestHeaderFieldsTooLarge)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne):
			c.Close() // gone, or too slow: nobody to answer
		default:
			answerPlain(c, http.StatusBadRequest)
		}
		return
	}
	req.RemoteAddr = "" // computed when a log line needs it
	h.bw.Reset(c)
	ws, err := upgrader.Upgrade(h, req, nil)
	realIP := req.Header.Get("X-Real-IP")
	if fast != nil {
		realIP = strings.Clone(realIP) // fast's buffers go back to the pool
		fast.release()
	}
	if err != nil {
		refuse := func() {
			if !h.hijack {
				h.reply() // gorilla's error answer (it lingers for the client to read it)
			}
			h.release()
		}
		if inline {
			waiting = true
			go func() { refuse(); g.handshakeDone(c, false) }()
			return
		}
		refuse()
		return
	}
	ws.SetReadLimit(protocol.MaxFrameBytes)
	br, lent := h.wsBR, h.lent
	h.release()
	// gorilla's Upgrade clears the deadlines (net/http's, it assumes); the
	// auth frame falls under the same one again, until client.start clears
	// it. Not kept by wrapping the connection: one more frame on an idle
	// reader's stack would double it.
	g.mu.Lock() // so Shutdown's endHandshakes is not undone
	if g.stopping {
		deadline = time.Now()
	}
	c.SetDeadline(deadline)
	g.mu.Unlock()
	if br.Buffered() == 0 && nothingToRead(c, br) {
		lendBack(br, lent)
		if g.park(&parked{c: c, deadline: deadline, ws: ws, br: br, realIP: realIP}) {
			waiting = true
			return
		}
		lent = borrowBuffer(br, c)
	}
	if inline {
		waiting = true
		g.startHandshake(acceptedConn{c: c, deadline: deadline,
			parked: &parked{c: c, deadline: deadline, ws: ws, br: br, lent: lent, realIP: realIP}})
		return
	}
	authed = g.handleWS(ws, c, br, lent, realIP)
}

func newHandshake(c socket) *handshake {
	h := handshakePool.Get().(*handshake)
	h.conn = c
	h.lr = io.LimitedReader{R: c, N: maxRequestBytes}
	h.br.Reset(&h.lr)
	return h
}

func (h *handshake) release() {
	h.br.Reset(nil)
	h.bw.Reset(nil)
	h.lr = io.LimitedReader{}
	h.conn, h.hdr, h.status, h.body, h.hijack = nil, nil, 0, nil, false
	h.rw.Reader, h.wsBR, h.lent = h.br, nil, nil
	handshakePool.Put(h)
}

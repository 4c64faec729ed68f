package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/metrics"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// An idle connection holds no buffer: gorilla reads through the
// connection's own bufio.Reader (ReadBufferSize 0 makes it take the one
// Hijack hands it, see handshake.Hijack), which borrows a pooled buffer
// only while it reads (borrowBuffer), and write buffers come from a pool
// only while a frame is being written.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  0,
	WriteBufferSize: 1024,
	WriteBufferPool: &writePool,
	// The token travels in the first frame, not in a cookie, so a page on
	// another origin gains nothing by opening a socket: any Origin is fine.
	CheckOrigin: func(*http.Request) bool { return true },
}

var writePool = syncPool{}

// readBufferSize is a lent read buffer's size: an auth frame fits, and
// gorilla takes a hijacked reader only when it is over 256 bytes.
const readBufferSize = 1024

// readPool lends read buffers to connections while they read.
var readPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}

// borrowBuffer makes br, reading from r, a copy of a pooled reader, so it
// reads into that reader's buffer; lendBack gives the buffer back.
func borrowBuffer(br *bufio.Reader, r io.Reader) (lent *bufio.Reader) {
	lent = readPool.Get().(*bufio.Reader)
	lent.Reset(r)
	*br = *lent
	return lent
}

// lendBack returns the buffer br borrowed as lent; br holds nothing
// buffered, and nothing may read through it until it borrows again.
func lendBack(br, lent *bufio.Reader) {
	*lent = *br
	lent.Reset(nil)
	*br = bufio.Reader{}
	readPool.Put(lent)
}

// handleWS authenticates an upgraded connection within the auth timeout
// (the deadline set at accept), attaches it to the fan-out (replaying on
// resume) and hands it to its reader (startReading). br is the reader
// gorilla reads through, lent the buffer it has borrowed; realIP is
// nginx's X-Real-IP, if any. It reports whether the connection was
// authenticated (and so tracked).
func (g *Gateway) handleWS(ws *websocket.Conn, tcp socket, br, lent *bufio.Reader, realIP string) bool {
	_, data, err := ws.ReadMessage()
	return g.handleAuth(ws, tcp, br, lent, realIP, data, nil, err, false)
}

// handleAuth is handleWS once the auth frame was read: data, or the read's
// error. frame is data parsed, if the caller has parsed it already (nil:
// parse it here). onPoller: called by the poller's goroutine, which must
// not read on (startReading).
func (g *Gateway) handleAuth(ws *websocket.Conn, tcp socket, br, lent *bufio.Reader, realIP string, data []byte, frame *protocol.AuthFrame, readErr error, onPoller bool) bool {
	c, err := g.authenticate(ws, tcp, br, data, frame, readErr)
	if err != nil {
		if g.log.Enabled(context.Background(), slog.LevelInfo) {
			g.log.Info("auth failed", slog.String("remote", remoteName(realIP, tcp)), slog.String("reason", err.Error()))
		}
		return false
	}
	c.realIP = realIP
	// At debug: a line per connect at info cost ~5 µs of a ~45 µs connect
	// (written to a file). The disconnect line, at info, names the user,
	// the address and why it ended.
	if g.log.Enabled(context.Background(), slog.LevelDebug) {
		g.log.Debug("client connected", slog.String("user", c.user), slog.String("remote", c.remote()))
	}
	c.startReading(lent, onPoller)
	return true
}

// remoteName is the client's address for logs: nginx's X-Real-IP when it
// proxies, else the peer address. Computed only for a log line.
func remoteName(realIP string, tcp socket) string {
	if realIP != "" {
		return realIP
	}
	return tcp.RemoteAddr().String()
}

// finish ends c once its socket is closed or failed: only c's reader
// calls it, or, when no reader runs, whoever closed c (closeSocket), so it
// runs once.
//
//go:noinline
func (g *Gateway) finish(c *client, why string) {
	c.abort("")
	g.poll.forget(c)
	c.att.Detach()
	g.untrack(c)
	g.metrics.Connections.Dec()
	if r := c.reason(); r != "" {
		why = r
	}
	g.log.Info("client disconnected", slog.String("user", c.user), slog.String("remote", c.remote()), slog.String("reason", why))
}

// authError is a refused auth, with the metrics label and the message
// the client is sent: a fixed sentence per reason, never a library's error
// (a JSON decoder's complaint quotes the client's bytes back and changes
// with Go releases). The cause, if any, is only logged.
type authError struct {
	result string
	msg    string
	cause  error
}

func (e *authError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (g *Gateway) authenticate(ws *websocket.Conn, tcp socket, br *bufio.Reader, data []byte, frame *protocol.AuthFrame, err error) (*client, error) {
	if err != nil {
		ae := &authError{metrics.AuthBadFrame, "could not read auth message", err}
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout() && g.isStopping():
			// Shutdown cut the wait short: the client should reconnect.
			g.metrics.Auths.WithLabelValues(metrics.AuthError).Inc()
			ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
			tcp.Close()
			return nil, &authError{metrics.AuthError, "server shutting down", nil}
		case errors.As(err, &ne) && ne.Timeout():
			ae = &authError{metrics.AuthTimeout, "authentication timeout", nil}
		case errors.Is(err, websocket.ErrReadLimit):
			g.metrics.TooBig.Inc()
			ae = &authError{metrics.AuthBadFrame, "auth message too large", nil}
			// gorilla has sent the 1009 close already.
			g.metrics.Auths.WithLabelValues(ae.result).Inc()
			ws.NetConn().Close()
			return nil, ae
		case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) || errors.Is(err, io.EOF):
			ae = &authError{metrics.AuthBadFrame, "closed before auth", nil}
		}
		return nil, g.refuse(ws, ae)
	}
	if frame == nil {
		f, err := protocol.ParseAuthFrame(data)
		if err != nil {
			return nil, g.refuse(ws, &authError{metrics.AuthBadFrame, protocol.ErrNotAuthFrame.Error(), err})
		}
		frame = &f
	}
	claims, err := protocol.VerifyToken(g.cfg.Secret, g.cfg.Issuer, frame.Token, time.Now())
	if err != nil {
		res := metrics.AuthInvalid
		if errors.Is(err, protocol.ErrTokenExpired) {
			res = metrics.AuthExpired
		}
		return nil, g.refuse(ws, &authError{res, "invalid token: " + protocol.TokenRefusal(err), err})
	}
	user := claims.Username()
	if protocol.RevokedBefore(claims, g.fanout.Cutoff(user)) {
		return nil, g.refuse(ws, &authError{metrics.AuthRevoked, protocol.ErrTokenRevoked.Error(), nil})
	}
	// reading: this goroutine reads for c until startReading hands it on.
	c := &client{g: g, ws: ws, tcp: tcp, br: br, user: user, iat: claims.IssuedAt.Unix(), reading: true, pollFD: -1}
	okFrame := mustJSON(protocol.AuthOK{Type: protocol.TypeAuthOK, Username: user})
	c.queue = append(c.queue, okFrame)
	att, replayed, err := g.fanout.Attach(user, c, frame.Resume)
	if errors.Is(err, hub.ErrUnavailable) {
		return nil, g.tryLater(ws, user, err)
	}
	if err != nil {
		ae := &authError{metrics.AuthError, "internal error", nil}
		if errors.Is(err, hub.ErrTooManyConnections) {
			ae = &authError{metrics.AuthTooManyConns, "too many connections", nil}
		} else {
			g.log.Error("attach failed", slog.String("user", user), slog.Any("error", err))
		}
		return nil, g.refuse(ws, ae)
	}
	if !g.track(c) { // shutting down
		att.Detach()
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		ws.NetConn().Close()
		return nil, &authError{metrics.AuthError, "server shutting down", nil}
	}
	c.att = att
	c.replaying = att.CatchingUp() // not started: no writer reads it yet
	if frame.Resume != nil {
		// Not started yet, so the queue is still ours: auth_ok goes first
		// and now says how many replayed notifications follow it.
		n := replayed
		c.mu.Lock()
		if len(c.queue) > 0 { // empty if it was closed meanwhile (revoked)
			c.queue[0] = mustJSON(protocol.AuthOK{Type: protocol.TypeAuthOK, Username: user, Replay: &n})
		}
		c.mu.Unlock()
	}
	g.authOK.Inc()
	// Counted before auth_ok goes out, so a client that has it sees itself
	// in the metrics; finish uncounts it.
	g.metrics.Connections.Inc()
	if replayed > 0 {
		g.log.Info("replayed history", slog.String("user", user), slog.Int("count", replayed))
	}
	c.start()
	return c, nil
}

// refuse sends auth_error and closes, as the seed does.
func (g *Gateway) refuse(ws *websocket.Conn, ae *authError) error {
	g.metrics.Auths.WithLabelValues(ae.result).Inc()
	deadline := time.Now().Add(time.Second)
	ws.SetWriteDeadline(deadline)
	ws.WriteMessage(websocket.TextMessage, mustJSON(protocol.AuthError{Type: protocol.TypeAuthError, Message: ae.msg, Code: authCode(ae.result)}))
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, ""), deadline)
	ws.NetConn().Close()
	return ae
}

// readFrame reads the client's next message (gorilla answers the control
// frames before it itself), or says why the connection ended: a pong
// resets the missed-ping count, an ack acknowledges (ack.go); anything
// else is ignored.
func (c *client) readFrame() (why string, ok bool) {
	mt, r, err := c.ws.NextReader()
	if err != nil {
		return c.g.readError(err), false
	}
	if mt == websocket.TextMessage {
		c.handleFrame(r)
	}
	return "", true
}

//go:noinline
func (c *client) handleFrame(r io.Reader) {
	data, err := io.ReadAll(r)
	if err != nil {
		return // the next NextReader reports the failure
	}
	f, err := protocol.ParseClientFrame(data)
	if err != nil {
		return
	}
	switch f.Type {
	case protocol.TypePong:
		c.missed.Store(0)
	case protocol.TypeAck:
		c.ack(f.ID)
	}
}

//go:noinline
func (g *Gateway) readError(err error) string {
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		g.metrics.TooBig.Inc()
		return "frame over 64 KiB (closed with 1009)"
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived):
		return "closed by client"
	case websocket.IsCloseError(err, websocket.CloseMessageTooBig):
		// The app refused a frame of ours as too big (the gateway refuses
		// such notifications at dispatch; an older app may accept less).
		return "closed by client: message too big (1009)"
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		// The reason is the client's text: quoted and bounded (a close
		// frame's reason is at most 123 bytes anyway).
		return fmt.Sprintf("closed by client with %d %.123q", ce.Code, ce.Text)
	}
	return "connection lost"
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

package server

import (
	"bufio"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// writeWait bounds one frame write; a peer that accepts nothing for this
// long is gone.
const writeWait = 10 * time.Second

var (
	pingFrame   = []byte(`{"type":"ping"}`)
	revokedJSON = mustJSON(protocol.AuthError{Type: protocol.TypeAuthError, Message: protocol.ErrTokenRevoked.Error(), Code: protocol.CodeTokenRevoked})
)

// client is one authenticated connection. A frame delivered while nothing
// is being written to it is written at once by the deliverer
// (writeInline); everything else goes through its bounded queue, drained
// by a writer goroutine that exists only while there is something to
// write. Its frames are read by a reader that runs only while there is
// something to read (netpoll_linux.go), so an idle connection costs no
// goroutine.
type client struct {
	g    *Gateway
	ws   *websocket.Conn
	tcp  socket        // ws's connection, for the deadline and the address
	br   *bufio.Reader // what gorilla reads through: a buffer only while reading
	user string
	iat  int64
	// Its watch in the poller (netpoll_linux.go): the descriptor, set
	// while it is watched (-1 before), and the slot the events name.
	pollFD            int32
	pollSlot, pollGen uint32

	realIP string         // nginx's X-Real-IP, if any
	att    hub.Attachment // its place in the fan-out
	missed atomic.Int32   // pings sent since the last pong
	// beatSlice is the heartbeat slice that pings it; set by track,
	// guarded by Gateway.mu.
	beatSlice uint32

	// wire is held while bytes of a frame written past gorilla (by
	// writeInline and writeRest) are in flight, and around the control
	// frames the reader answers with (onPing, onClose), so no frame is
	// ever split by another on the socket. (The close frames gorilla's
	// reader writes by itself, 1009 and protocol errors, are not under
	// it: they end a connection that broke the protocol.)
	wire sync.Mutex

	mu      sync.Mutex
	queue   [][]byte
	started bool // the writer may run (after auth_ok and any replay are queued)
	writing bool // a writer goroutine is running
	// replaying: the writer reads the rest of the replay from the history
	// a page at a time, each once the last is written (hub.NextPage).
	replaying bool
	closed    bool
	// reading: a goroutine reads for it (the handshake's, then a reader
	// while there is something to read); that goroutine finishes it.
	// finishing: it was closed while none did, so whoever closes its
	// socket finishes it (closeSocket).
	reading, finishing bool
	closeMsg           string  // why the gateway closed it, for the disconnect log
	ending             *ending // a close for the running writer to send (closeWith)
}

// ending is the last words to a connection: a frame (or none), then a
// close frame with code and reason.
type ending struct {
	code   int
	reason string
	last   []byte
}

// Deliver implements hub.Subscriber: it queues frame, or drops the client
// when its queue is full (a reader that does not keep up must not hold
// memory or slow anyone else).
func (c *client) Deliver(frame []byte) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	// The bound applies once the connection is started: before that the
	// queue holds auth_ok and the replay, which the history limit bounds.
	if c.started && len(c.queue) >= c.g.cfg.SendQueue {
		c.markClosedLocked("send queue full (slow client)")
		c.mu.Unlock()
		c.g.metrics.DroppedSlow.Inc()
		// Its socket buffer is full, so no close frame could get through.
		c.closeSocket()
		return false
	}
	if c.started && !c.writing && len(c.queue) == 0 {
		// Nothing is being written: try the frame from this goroutine
		// (writeInline), sparing a writer goroutine and its wake-up.
		c.writing = true
		c.mu.Unlock()
		c.writeInline(frame)
		return true
	}
	c.queue = append(c.queue, frame)
	c.kickLocked()
	c.mu.Unlock()
	return true
}

// writeInline writes one frame from the delivering goroutine (the store's
// committer, the heartbeat) with one non-blocking write(2): a socket with
// room takes it whole, as it nearly always has. What the socket did not
// take goes to a writer goroutine, which holds the wire until it has
// written it, so the frame's bytes are never split by another frame. The
// caller has set c.writing.
func (c *client) writeInline(frame []byte) {
	if !c.wire.TryLock() {
		// The reader is answering a ping or a close, which may wait for
		// room on a full socket: never wait for it here (the deliverer
		// serves everyone); a writer sends the frame after it.
		c.mu.Lock()
		c.queue = append(c.queue, frame)
		c.mu.Unlock()
		go c.writeLoop(false)
		return
	}
	bp := frameBufs.Get().(*[]byte)
	buf := appendTextFrame((*bp)[:0], frame)
	n, err := writeNonBlocking(c.tcp, buf)
	if err != nil {
		c.wire.Unlock()
		putFrameBuf(bp, buf)
		c.stopWriting("write failed")
		return
	}
	if n < len(buf) {
		go c.writeRest(bp, buf, n)
		return
	}
	c.wire.Unlock()
	putFrameBuf(bp, buf)
	c.mu.Lock()
	if !c.closed && len(c.queue) == 0 {
		c.writing = false
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	// Queued meanwhile, or closed with an ending to send: a writer does
	// it, not the deliverer, which must not wait on one connection.
	go c.writeLoop(false)
}

// writeRest writes what the socket did not take of an inline frame, as
// the running writer, then goes on with the queue. It holds the wire (taken
// by writeInline) until the frame is whole.
func (c *client) writeRest(bp *[]byte, buf []byte, n int) {
	c.tcp.SetWriteDeadline(time.Now().Add(writeWait))
	_, err := c.tcp.Write(buf[n:])
	c.wire.Unlock()
	putFrameBuf(bp, buf)
	if err != nil {
		c.stopWriting("write failed")
		return
	}
	c.writeLoop(false)
}

func (c *client) kickLocked() {
	if c.started && !c.writing && len(c.queue) > 0 {
		c.writing = true
		go c.writeLoop(false)
	}
}

// remote is the client's address for logs.
func (c *client) remote() string { return remoteName(c.realIP, c.tcp) }

// start sends what is queued (auth_ok, then any replay) from the calling
// goroutine, sparing a writer goroutine per connect, and from then on lets
// deliveries start writers of their own.
func (c *client) start() {
	// The handshake's deadline (see serveConn) ends here, before the
	// reader starts. auth_ok, the first frame on a fresh socket, fits its
	// empty send buffer and is written without one; every later frame
	// sets its own.
	c.tcp.SetDeadline(time.Time{})
	c.ws.SetPingHandler(c.onPing)
	c.ws.SetCloseHandler(c.onClose)
	c.mu.Lock()
	c.started = true
	if c.writing {
		c.mu.Unlock()
		return
	}
	c.writing = true
	c.mu.Unlock()
	c.writeLoop(true)
}

func (c *client) writeLoop(first bool) {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		if c.closed {
			// closeWith left its ending to this writer: a frame may only
			// be written by one goroutine at a time.
			e := c.ending
			c.ending = nil
			c.mu.Unlock()
			if e != nil {
				c.finish(e)
			}
			return
		}
		replaying := c.replaying
		if len(batch) == 0 && !replaying {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if !c.writeFrames(batch, first) {
			return
		}
		first = false
		if replaying && !c.isClosed() {
			// The next page of history, read now that the last one is
			// written. Once it is the last, deliveries queue live
			// notifications behind it; they are taken on the next turn,
			// after the page.
			page, live, err := c.att.NextPage()
			if err != nil {
				if !c.isClosed() { // else shutdown closed the store under it: nothing to report
					c.g.log.Error("replay failed", slog.String("user", c.user), slog.Any("error", err))
				}
				c.stopWriting("could not read the history")
				return
			}
			if live {
				c.mu.Lock()
				c.replaying = false
				c.mu.Unlock()
			}
			if !c.writeFrames(page, false) {
				return
			}
		}
	}
}

// writeFrames writes frames in order; false when the connection failed
// (then it is aborted) or was closed meanwhile. first: the handshake's
// first write, which needs no deadline of its own (see start).
//
// The frames go out concatenated, up to writeBatchBytes at a time, one
// write(2) each: a replay page of 200 small notifications is one system
// call, not 200 (gorilla writes one per frame, and a frame larger than
// its 1 KiB write buffer in several). Copying rather than writev(2): Go
// keeps the iovec array of a socket's largest writev for the socket's
// life (16 bytes a frame, kilobytes per resumed connection), and the copy
// costs a small part of the calls it saves. A close (a revoke, shutdown)
// is seen between writes, as it was between frames.
func (c *client) writeFrames(frames [][]byte, first bool) bool {
	if len(frames) == 0 {
		return true
	}
	bp := batchBufs.Get().(*[]byte)
	defer batchBufs.Put(bp)
	deadline := !first || len(frames) > 1
	for i := 0; i < len(frames); {
		if i > 0 && c.isClosed() {
			return true // revoked or shut down: the loop's next turn ends it
		}
		buf := (*bp)[:0] // a frame over the bound (none is) would grow a copy, not the pooled one
		for ; i < len(frames); i++ {
			f := frames[i]
			if len(buf) > 0 && len(buf)+maxFrameHeader+len(f) > writeBatchBytes {
				break
			}
			buf = appendTextFrame(buf, f)
		}
		if !c.writeWire(buf, deadline) {
			c.stopWriting("write failed")
			return false
		}
		deadline = true
	}
	return true
}

// writeWire writes b whole to the socket, waiting for room up to
// writeWait when deadline is set. Under the wire: a pong (onPing) waits
// for the socket's write lock anyway, but would first set the socket's
// write deadline to its own second, cutting short this write's wait.
func (c *client) writeWire(b []byte, deadline bool) bool {
	c.wire.Lock()
	defer c.wire.Unlock()
	if deadline {
		c.tcp.SetWriteDeadline(time.Now().Add(writeWait))
	}
	_, err := c.tcp.Write(b)
	return err == nil
}

// stopWriting ends the running writer and the connection.
func (c *client) stopWriting(reason string) {
	c.mu.Lock()
	c.writing = false
	c.mu.Unlock()
	c.abort(reason)
}

// onPing answers a client's ping with a pong, as gorilla's own handler
// does, but under the wire: gorilla's write lock does not cover the bytes
// writeInline writes past it.
func (c *client) onPing(data string) error {
	c.wire.Lock()
	err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	c.wire.Unlock()
	var ne net.Error
	if err == nil || errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) {
		return nil
	}
	return err
}

// onClose echoes a client's close frame, as gorilla's own handler does,
// under the wire (see onPing).
func (c *client) onClose(code int, _ string) error {
	c.wire.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	c.wire.Unlock()
	return nil
}

// IssuedAt implements hub.Subscriber.
func (c *client) IssuedAt() int64 { return c.iat }

// Revoke implements hub.Subscriber: the token was revoked (unlink); tell
// the app as an auth error, which makes it sign out, and close.
func (c *client) Revoke() {
	c.closeWith(websocket.ClosePolicyViolation, "token revoked", revokedJSON)
}

// closeWith sends a last frame (if any) and a close frame, then closes the
// socket: at once when no writer runs, else right after the frame the
// writer is writing. Safe to call more than once and from any goroutine.
func (c *client) closeWith(code int, reason string, last []byte) {
	c.mu.Lock()
	if !c.markClosedLocked(reason) {
		c.mu.Unlock()
		return
	}
	e := &ending{code: code, reason: reason, last: last}
	if c.writing {
		c.ending = e
		c.mu.Unlock()
		return
	}
	c.writing = true // keep any writer from starting
	c.mu.Unlock()
	c.finish(e)
}

// finish writes the ending and closes the socket; only the goroutine that
// holds c.writing calls it.
func (c *client) finish(e *ending) {
	deadline := time.Now().Add(time.Second)
	if e.last != nil {
		c.ws.SetWriteDeadline(deadline)
		c.ws.WriteMessage(websocket.TextMessage, e.last)
	}
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(e.code, e.reason), deadline)
	c.closeSocket()
}

func (c *client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// abort closes the socket without a close frame.
func (c *client) abort(reason string) {
	c.mu.Lock()
	c.markClosedLocked(reason)
	c.mu.Unlock()
	c.closeSocket()
}

// closeSocket closes c's socket after markClosedLocked, and finishes c if
// no reader runs to notice (and finish it): an idle connection has none.
// In another goroutine: the closer may hold the hub's locks (Deliver,
// Revoke), which Detach takes.
func (c *client) closeSocket() {
	c.ws.NetConn().Close()
	c.mu.Lock()
	mine := c.finishing
	c.finishing = false
	c.mu.Unlock()
	if mine {
		go c.g.finish(c, "")
	}
}

// markClosedLocked records that the gateway closes c and why, dropping
// what is queued; false when c was closed already. c.mu must be held.
func (c *client) markClosedLocked(reason string) bool {
	if c.closed {
		return false
	}
	c.closed, c.closeMsg, c.queue = true, reason, nil
	c.finishing = !c.reading
	return true
}

func (c *client) reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeMsg
}

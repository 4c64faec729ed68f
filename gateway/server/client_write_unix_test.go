//go:build unix

package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/metrics"
)

// The inline write path (client.writeInline) over a real loopback socket
// whose send buffer is a few KiB, so a frame of tens of KiB is always
// written partly by the non-blocking write and finished by a writer.

// writePair is a started client of a bare Gateway (just what the write
// path uses) and the peer's end, a gorilla client whose receive buffer
// is small too.
func writePair(t *testing.T, sendQueue int) (*client, *websocket.Conn) {
	t.Helper()
	return writePairQueued(t, sendQueue, nil, 4<<10)
}

// writePairQueued is writePair whose client has queued (as authenticate
// queues auth_ok and a replay's first page) when it starts, over sockets
// whose buffers are bufSize (0: the system's).
func writePairQueued(t *testing.T, sendQueue int, queued [][]byte, bufSize int) (*client, *websocket.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan *websocket.Conn, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		accepted <- ws
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	d := websocket.Dialer{NetDial: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		if bufSize == 0 {
			return nil
		}
		return setBuf(c, syscall.SO_RCVBUF, bufSize)
	}}).Dial}
	peer, _, err := d.Dial("ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	ws := <-accepted
	tcp := ws.NetConn().(*net.TCPConn)
	if bufSize > 0 {
		if err := tcp.SetWriteBuffer(bufSize); err != nil {
			t.Fatal(err)
		}
	}
	g := &Gateway{cfg: config.Config{SendQueue: sendQueue}, metrics: metrics.New(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// Built as authenticate builds one: the goroutine below holds the
	// reader role (reading), so closing it leaves the ending to that reader.
	c := &client{g: g, ws: ws, tcp: tcp, user: "petr", reading: true, pollFD: -1, queue: queued}
	if len(queued) == 0 {
		c.start()
	} else {
		// start writes the queue from the calling goroutine, as
		// authenticate's does, which waits while the peer reads.
		started := make(chan struct{})
		go func() { defer close(started); c.start() }()
		t.Cleanup(func() { <-started })
	}
	read := make(chan struct{})
	go func() { // answers the peer's pings and close
		defer close(read)
		for {
			if _, ok := c.readFrame(); !ok {
				return
			}
		}
	}()
	t.Cleanup(func() { c.abort("test over"); <-read })
	return c, peer
}

func setBuf(c syscall.RawConn, opt, size int) error {
	var serr error
	if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, size) }); err != nil {
		return err
	}
	return serr
}

// bigFrame is frame i: its number, then filler that differs per frame,
// so a frame cut short, spliced or out of order cannot pass for another.
func bigFrame(i, size int) []byte {
	head := fmt.Sprintf("%06d:", i)
	return append([]byte(head), bytes.Repeat([]byte{byte('a' + i%26)}, size-len(head))...)
}

// readFrames reads want text frames, slowly at first (so the sender's
// socket stays full), checking each is frame i in order and whole.
func readFrames(t *testing.T, peer *websocket.Conn, want, size int) error {
	for i := 0; i < want; i++ {
		if i < 8 {
			time.Sleep(5 * time.Millisecond)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
		peer.SetReadDeadline(time.Now().Add(10 * time.Second))
		mt, data, err := peer.ReadMessage()
		if err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if mt != websocket.TextMessage || !bytes.Equal(data, bigFrame(i, size)) {
			return fmt.Errorf("frame %d: got %d bytes starting %.12q, want frame %d whole", i, len(data), data, i)
		}
	}
	return nil
}

// A frame the socket takes only partly arrives whole, and the frames
// delivered after it follow it in order.
func TestInlineWritePartlyTakenArrivesWholeInOrder(t *testing.T) {
	c, peer := writePair(t, 1024)
	const n, size = 60, 40 << 10
	done := make(chan error, 1)
	go func() { done <- readFrames(t, peer, n, size) }()
	for i := 0; i < n; i++ {
		if !c.Deliver(bigFrame(i, size)) {
			t.Fatalf("frame %d refused", i)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A client's pings are answered while frames are partly written: the pong
// never lands inside a frame (gorilla's lock does not cover the inline
// write's bytes; the wire does).
func TestPongsDuringPartialWritesDoNotSplitFrames(t *testing.T) {
	c, peer := writePair(t, 1024)
	const n, size = 300, 16 << 10
	var pongs atomic.Int64
	peer.SetPongHandler(func(string) error { pongs.Add(1); return nil })
	stop := make(chan struct{})
	var pinger sync.WaitGroup
	pinger.Add(1)
	go func() { // pings as fast as the socket takes them, all through the frames
		defer pinger.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if peer.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second)) != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- readFrames(t, peer, n, size) }()
	for i := 0; i < n; i++ {
		// Each frame once the last is written, so each is written inline
		// and taken partly: the pong's chance to split it.
		waitIdle(t, c)
		c.Deliver(bigFrame(i, size))
	}
	err := <-done
	close(stop)
	pinger.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if pongs.Load() == 0 {
		t.Fatal("no pong came back: the pings were not answered during the frames")
	}
}

// waitIdle waits until no writer runs for c.
func waitIdle(t *testing.T, c *client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		idle := !c.writing
		c.mu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never finished")
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// A client that does not read is still dropped at the queue's bound while
// an inline frame waits for room: one frame in flight, SendQueue queued,
// the next refused, the socket closed and the drop counted.
func TestSlowClientDroppedAtTheBoundBehindAnInlineFrame(t *testing.T) {
	const queue = 8
	c, peer := writePair(t, queue)
	const size = 40 << 10 // more than the socket takes: it stays in flight
	for i := 0; i < 1+queue; i++ {
		if !c.Deliver(bigFrame(i, size)) {
			t.Fatalf("frame %d refused before the bound", i)
		}
	}
	if c.Deliver(bigFrame(1+queue, size)) {
		t.Fatal("a frame past the bound was queued")
	}
	if got := testutil.ToFloat64(c.g.metrics.DroppedSlow); got != 1 {
		t.Fatalf("dropped slow clients %v, want 1", got)
	}
	if c.reason() != "send queue full (slow client)" {
		t.Fatalf("closed for %q", c.reason())
	}
	// The socket is closed: the peer reads what arrived, then the end,
	// with no close frame (none could get through a full buffer).
	for {
		peer.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := peer.ReadMessage()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("socket still open after the drop: %v", err)
		}
		if err != nil {
			return
		}
	}
}

// A revoke racing inline writes ends cleanly: the peer gets whole frames
// in order, then the auth_error, then the close frame (1008), never a
// split frame; the deliveries after the close are refused.
func TestRevokeRacingInlineWritesEndsCleanly(t *testing.T) {
	for round := 0; round < 20; round++ {
		c, peer := writePair(t, 1<<16)
		// Odd rounds: frames the socket takes whole, so the revoke lands
		// in an inline write; even ones: frames taken partly.
		size, n := 200, 2000
		if round%2 == 0 {
			size, n = 8<<10+round*2<<10, 40
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				c.Deliver(bigFrame(i, size))
			}
		}()
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(round) * 200 * time.Microsecond)
			c.Revoke()
		}()
		got := 0
		for {
			peer.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := peer.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
					t.Fatalf("round %d: after %d frames: %v, want the close frame 1008", round, got, err)
				}
				break
			}
			if bytes.Equal(data, revokedJSON) {
				continue
			}
			if !bytes.Equal(data, bigFrame(got, size)) {
				t.Fatalf("round %d: got %d bytes starting %.12q, want frame %d whole", round, len(data), data, got)
			}
			got++
		}
		wg.Wait()
		if c.Deliver(bigFrame(n, size)) {
			t.Fatalf("round %d: a delivery after the revoke was taken", round)
		}
	}
}

// appendTextFrame writes what gorilla writes for a server's text message,
// at every length encoding.
func TestAppendTextFrameMatchesGorilla(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 1000, 0xffff, 0x10000, 70000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		rec := &recordConn{}
		ws := serverConnOver(t, rec)
		rec.wire.Reset() // the 101 answer
		if err := ws.WriteMessage(websocket.TextMessage, payload); err != nil {
			t.Fatal(err)
		}
		if got := appendTextFrame(nil, payload); !bytes.Equal(got, rec.wire.Bytes()) {
			t.Errorf("length %d: header % x, gorilla's % x", n, got[:min(len(got), 10)], rec.wire.Bytes()[:min(rec.wire.Len(), 10)])
		}
	}
}

// serverConnOver is a server-side gorilla connection over rec, upgraded
// from an in-memory request.
func serverConnOver(t *testing.T, rec *recordConn) *websocket.Conn {
	t.Helper()
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	ws, err := upgrader.Upgrade(hijacker{rec}, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// recordConn is a net.Conn that keeps what is written to it.
type recordConn struct {
	net.Conn // nil: only Write and the deadlines are called
	wire     bytes.Buffer
}

func (r *recordConn) Write(p []byte) (int, error)      { return r.wire.Write(p) }
func (r *recordConn) SetWriteDeadline(time.Time) error { return nil }
func (r *recordConn) SetDeadline(time.Time) error      { return nil }
func (r *recordConn) SetReadDeadline(time.Time) error  { return nil }

// hijacker hands gorilla's Upgrade the recordConn.
type hijacker struct{ conn *recordConn }

func (h hijacker) Header() http.Header         { return http.Header{} }
func (h hijacker) Write(p []byte) (int, error) { return len(p), nil }
func (h hijacker) WriteHeader(int)             {}
func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReader(strings.NewReader("")), bufio.NewWriter(h.conn)), nil
}

// A delivery never waits for a client's socket: not while the reader is
// stuck answering the client's pings on a full socket (the client sends
// pings and reads nothing). The deliverer serves every user.
func TestDeliveryDoesNotWaitForAPongOnAFullSocket(t *testing.T) {
	c, peer := writePair(t, 1024)
	stop := make(chan struct{})
	var pinger sync.WaitGroup
	pinger.Add(1)
	go func() { // pongs of 100 bytes fill both sockets' buffers soon
		defer pinger.Done()
		ping := bytes.Repeat([]byte{'p'}, 100)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if peer.WriteControl(websocket.PingMessage, ping, time.Now().Add(time.Second)) != nil {
				return
			}
		}
	}()
	defer func() { close(stop); peer.Close(); pinger.Wait() }()
	// By now the sockets' few KiB are full of pongs and the reader's
	// pong is blocked (it gives up after a second, then blocks again on
	// the next ping).
	time.Sleep(300 * time.Millisecond)
	if c.wire.TryLock() {
		c.wire.Unlock()
		t.Fatal("the reader is not answering a ping: the test sets up nothing")
	}
	start := time.Now()
	if !c.Deliver([]byte(`{"type":"notification"}`)) {
		t.Fatal("the delivery was refused")
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Fatalf("Deliver waited %v for the client's socket", took)
	}
}

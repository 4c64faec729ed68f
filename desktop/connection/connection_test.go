package connection

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// harness runs a Conn against a real in-process gateway and records what
// it reports.
type harness struct {
	t        *testing.T
	gw       *gatewaytest.Gateway
	conn     *Conn
	statuses chan Status
	authErrs chan string
	wakes    chan string // the OS's sleep and network events, as the test makes them

	mu       sync.Mutex
	token    string
	cursor   *protocol.Resume
	got      []protocol.NotificationFrame
	replayed []bool
	batches  chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

func newHarness(t *testing.T, gw *gatewaytest.Gateway, o Options) *harness {
	h := &harness{t: t, gw: gw, statuses: make(chan Status, 100), authErrs: make(chan string, 10),
		wakes: make(chan string), batches: make(chan struct{}, 100), token: gw.Token(t, "petr")}
	url := gw.WSURL // Restart keeps the port (and rewrites the field)
	o.URL = func() string { return url }
	o.Token = func() string { h.mu.Lock(); defer h.mu.Unlock(); return h.token }
	o.Cursor = func() *protocol.Resume { h.mu.Lock(); defer h.mu.Unlock(); return h.cursor }
	o.OnStatus = func(s Status) { h.statuses <- s }
	o.OnAuthError = func(m string) { h.authErrs <- m }
	o.OnNotifications = func(fs []protocol.NotificationFrame, replayed bool) {
		h.mu.Lock()
		for _, f := range fs {
			h.got = append(h.got, f)
			h.replayed = append(h.replayed, replayed)
			if f.Seq > 0 {
				h.cursor = &protocol.Resume{Epoch: f.Epoch, Seq: f.Seq}
			}
		}
		h.mu.Unlock()
		h.batches <- struct{}{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// The OS's events are the edge: package wake's own tests see them from
	// a real logind stand-in and a real netlink socket (and
	// connection_linux_test.go the whole way, in a network namespace).
	if o.Wakes == nil {
		o.Wakes = func(ctx context.Context, wake func(string)) {
			for {
				select {
				case r := <-h.wakes:
					wake(r)
				case <-ctx.Done():
					return
				}
			}
		}
	}
	h.conn = New(o)
	return h
}

func (h *harness) flags() []bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bool(nil), h.replayed...)
}

func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() { h.conn.Run(ctx); close(h.done) }()
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
}

// waitState returns the first status in state st.
func (h *harness) waitState(st State) Status {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-h.statuses:
			if s.State == st {
				return s
			}
		case <-timeout:
			h.t.Fatalf("no %s status (now %+v)", st, h.conn.Status())
		}
	}
}

// advanceUntilConnected moves the fake clock past each backoff wait until
// the link is up (the attempt in flight may fail or succeed).
func (h *harness) advanceUntilConnected(clock *clockwork.FakeClock) {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-h.statuses:
			switch s.State {
			case Connected:
				return
			case Reconnecting:
				clock.Advance(s.RetryAt.Sub(clock.Now()))
			}
		case <-timeout:
			h.t.Fatalf("not connected (now %+v)", h.conn.Status())
		}
	}
}

func (h *harness) waitCount(n int) []protocol.NotificationFrame {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		got := append([]protocol.NotificationFrame(nil), h.got...)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("got %d notifications, want %d", len(h.got), n)
	return nil
}

func dispatch(t *testing.T, gw *gatewaytest.Gateway, ids ...string) {
	t.Helper()
	c := gw.Client()
	defer c.Close()
	for _, id := range ids {
		if _, err := c.Dispatch(context.Background(), "petr", protocol.Notification{ID: id, Title: "t " + id, Message: "m"}); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(fs []protocol.NotificationFrame) string {
	s := ""
	for _, f := range fs {
		s += f.ID + " "
	}
	return s
}

func TestLiveResumeAndRestartWithoutDuplicates(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	defer gw.Stop()
	h := newHarness(t, gw, Options{})
	h.run()
	defer func() {
		if h.done != nil {
			h.cancel()
			<-h.done
		}
	}()
	if s := h.waitState(Connected); s.Username != "petr" || s.CatchingUp {
		t.Fatalf("status %+v, want petr, and caught up at once: nothing kept to replay", s)
	}
	dispatch(t, gw, "a", "b")
	got := h.waitCount(2)
	if r := h.flags(); ids(got) != "a b " || r[0] || r[1] {
		t.Fatalf("live: %s %v", ids(got), r)
	}

	// The app quits; three alerts arrive meanwhile; it starts again and
	// resumes from its cursor: only the three, in order, marked replayed.
	h.stop()
	dispatch(t, gw, "c", "d", "e")
	h2 := newHarness(t, gw, Options{})
	h2.cursor = h.cursor
	h2.run()
	defer h2.stop()
	h2.waitState(Connected)
	got = h2.waitCount(3)
	time.Sleep(100 * time.Millisecond)
	if r := h2.flags(); ids(h2.waitCount(3)) != "c d e " || !r[0] || !r[2] {
		t.Fatalf("resume: %s %v", ids(got), r)
	}

	// The gateway restarts (history kept): the app reconnects by itself
	// after a short backoff and sees nothing twice.
	gw.Restart(t)
	h2.waitState(Reconnecting)
	h2.waitState(Connected)
	dispatch(t, gw, "f")
	h2.waitCount(4)
	time.Sleep(100 * time.Millisecond) // time for a duplicate to show up
	if got := h2.waitCount(4); ids(got) != "c d e f " {
		t.Fatalf("after restart: %s", ids(got))
	}
}

func TestNewSignInGetsTheKeptHistory(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	dispatch(t, gw, "old1", "old2")
	h := newHarness(t, gw, Options{})
	h.run()
	defer h.stop()
	got := h.waitCount(2)
	if ids(got) != "old1 old2 " || !h.flags()[0] || got[1].Seq != 2 || got[1].Epoch == "" {
		t.Fatalf("%s %v %+v", ids(got), h.replayed, got[1])
	}
}

// The gateway announces its replay in auth_ok, so an alert that arrives
// right after connecting is live, not part of the catch-up, however soon.
func TestAnnouncedReplayEndsExactly(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	dispatch(t, gw, "old1", "old2")
	h := newHarness(t, gw, Options{})
	h.run()
	defer h.stop()
	h.waitState(Connected)
	dispatch(t, gw, "new") // well within catchUpGap of auth_ok
	got := h.waitCount(3)
	if r := h.flags(); ids(got) != "old1 old2 new " || !r[0] || !r[1] || r[2] {
		t.Fatalf("%s %v", ids(got), r)
	}
}

func TestBackoffGrowsWithJitterToThirtySeconds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	gw.Stop() // nothing listens: every attempt fails at once
	clock := clockwork.NewFakeClock()
	h := newHarness(t, gw, Options{Clock: clock})
	h.run()
	base := time.Second
	for i := 0; i < 9; i++ {
		s := h.waitState(Reconnecting)
		d := s.RetryAt.Sub(clock.Now())
		lo, hi := base/2, min(base*3/2, MaxBackoff)
		if d < lo || d > hi {
			t.Fatalf("attempt %d: delay %v not in [%v, %v]", i, d, lo, hi)
		}
		if s.Error == "" {
			t.Fatal("no reason shown")
		}
		clock.Advance(d)
		base = min(base*2, MaxBackoff)
	}
	if base != MaxBackoff {
		t.Fatalf("never reached the cap: %v", base)
	}
	// The gateway comes back: the next attempt connects and the backoff
	// starts from 1 s again.
	gw.Restart(t)
	h.advanceUntilConnected(clock)
	gw.Stop()
	s := h.waitState(Reconnecting)
	if d := s.RetryAt.Sub(clock.Now()); d > 1500*time.Millisecond {
		t.Fatalf("backoff not reset after connecting: %v", d)
	}
	h.stop()
}

func TestDeadLinkIsNoticedWithoutPings(t *testing.T) {
	// The gateway pings every hour, the app expects every 30 s: after 75 s
	// of silence the app must give up on the link and reconnect.
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: time.Hour})
	clock := clockwork.NewFakeClock()
	h := newHarness(t, gw, Options{Clock: clock, Heartbeat: 30 * time.Second})
	h.run()
	defer h.stop()
	h.waitState(Connected)
	clock.Advance(74 * time.Second)
	select {
	case s := <-h.statuses:
		t.Fatalf("gave up early: %+v", s)
	case <-time.After(100 * time.Millisecond):
	}
	clock.Advance(time.Second)
	s := h.waitState(Reconnecting)
	if s.Error == "" {
		t.Fatal("no reason")
	}
	clock.Advance(s.RetryAt.Sub(clock.Now()))
	h.waitState(Connected)
}

// The same with the real clock, whose dead-link timer is a kernel timer
// (package idletimer) on Linux: 500 ms of silence end the link.
func TestDeadLinkIsNoticedOnTheRealClock(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: time.Hour})
	h := newHarness(t, gw, Options{Heartbeat: 200 * time.Millisecond})
	h.run()
	defer h.stop()
	h.waitState(Connected)
	up := time.Now()
	s := h.waitState(Reconnecting)
	if el := time.Since(up); el < 400*time.Millisecond {
		t.Fatalf("gave up after %v of silence, before the 500 ms", el)
	}
	if !strings.Contains(s.Error, "silent") {
		t.Fatalf("reason %q", s.Error)
	}
}

func TestPingsKeepTheLinkAlive(t *testing.T) {
	// The gateway pings every 200 ms and drops a client after 3 missed
	// pongs; the app (told to expect pings every 400 ms) would drop a link
	// silent for 1 s. Ten heartbeats later the link must be the same.
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 200 * time.Millisecond})
	h := newHarness(t, gw, Options{Heartbeat: 400 * time.Millisecond})
	h.run()
	defer h.stop()
	h.waitState(Connected)
	select {
	case s := <-h.statuses:
		t.Fatalf("link changed: %+v", s)
	case <-time.After(2 * time.Second):
	}
	dispatch(t, gw, "x")
	h.waitCount(1)
}

// A ping is answered by the goroutine that read it, not handed to the
// link's goroutine (one wake-up fewer per heartbeat, issue 17), so it is
// answered even while the link's goroutine is busy with a notification: a
// slow handler does not cost the link. The gateway pings every 100 ms and
// drops a link after 2 unanswered; the handler holds the first alert for
// 1 s.
func TestPingsAnsweredWhileAnAlertIsHandled(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 100 * time.Millisecond, MaxMissed: 2})
	h := newHarness(t, gw, Options{Heartbeat: 200 * time.Millisecond})
	deliver := h.conn.o.OnNotifications
	held := make(chan struct{})
	var once sync.Once
	h.conn.o.OnNotifications = func(fs []protocol.NotificationFrame, replayed bool) {
		once.Do(func() { close(held); time.Sleep(time.Second) })
		deliver(fs, replayed)
	}
	h.run()
	defer h.stop()
	h.waitState(Connected)
	dispatch(t, gw, "x")
	<-held
	h.waitCount(1)
	dispatch(t, gw, "y")
	h.waitCount(2)
	select {
	case s := <-h.statuses:
		t.Fatalf("the link changed while an alert was handled: %+v", s)
	default:
	}
}

func TestWakeFromSleepReconnectsAtOnce(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	clock := clockwork.NewFakeClock()
	h := newHarness(t, gw, Options{Clock: clock})
	h.run()
	defer h.stop()
	h.waitState(Connected)

	// Connected, then the lid closes for an hour: the app renews the link
	// at once (the old socket is likely dead after a real sleep).
	h.wakes <- "the computer woke from sleep"
	h.waitState(Connecting)
	h.waitState(Connected)

	// Disconnected and waiting out a long backoff when the computer sleeps:
	// it retries at once on wake instead of finishing the wait.
	gw.Stop()
	var s Status
	for i := 0; i < 5; i++ { // let the backoff grow
		s = h.waitState(Reconnecting)
		if i < 4 {
			clock.Advance(s.RetryAt.Sub(clock.Now()))
		}
	}
	if s.RetryAt.Sub(clock.Now()) < 4*time.Second {
		t.Fatalf("backoff did not grow: %v", s.RetryAt.Sub(clock.Now()))
	}
	gw.Restart(t)
	h.wakes <- "network changed"
	h.waitState(Connected)
	if clock.Now().After(s.RetryAt) {
		t.Fatal("waited out the backoff")
	}
}

func TestAuthErrorWaitsForTheAppThenRetries(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	h := newHarness(t, gw, Options{})
	forged, _, _ := protocol.IssueToken([]byte("not-the-gateway-secret-0123456789abc"), gw.Issuer, "petr", time.Now())
	h.token = forged
	h.run()
	defer h.stop()
	if s := h.waitState(AuthFailed); s.Error == "" {
		t.Fatal("no reason")
	}
	select {
	case m := <-h.authErrs:
		if m == "" {
			t.Fatal("empty auth error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnAuthError not called")
	}
	// Stays put until the app acts.
	select {
	case s := <-h.statuses:
		t.Fatalf("retried on its own: %+v", s)
	case <-time.After(200 * time.Millisecond):
	}
	h.mu.Lock()
	h.token = gw.Token(t, "petr")
	h.mu.Unlock()
	h.conn.Kick()
	h.waitState(Connected)
}

func TestSignedOutDoesNothingUntilKicked(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	h := newHarness(t, gw, Options{})
	h.token = ""
	h.run()
	defer h.stop()
	h.waitState(SignedOut)
	h.mu.Lock()
	h.token = gw.Token(t, "petr")
	h.mu.Unlock()
	h.conn.Kick()
	h.waitState(Connected)
	h.mu.Lock()
	h.token = ""
	h.mu.Unlock()
	h.conn.Kick()
	h.waitState(SignedOut)
	if n := gwConns(t, gw); n != 0 {
		t.Fatalf("%d connections left after sign-out", n)
	}
}

func gwConns(t *testing.T, gw *gatewaytest.Gateway) int {
	c := gw.Client()
	defer c.Close()
	for i := 0; i < 100; i++ {
		h, err := c.Health(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if h.Connections == 0 || i == 99 {
			return h.Connections
		}
		time.Sleep(10 * time.Millisecond)
	}
	return -1
}

// A gateway node that drains (a cluster's rolling restart) closes its
// links with 1012: the app comes back at once, after a short random
// moment, not a backoff step (0.5 to 1.5 s) later.
func TestGatewayDrainReconnectsAtOnce(t *testing.T) {
	nc := natstest.Start(t, 3)
	gw := gatewaytest.Start(t, gatewaytest.Options{NATS: nc.URLs()})
	clock := clockwork.NewFakeClock()
	h := newHarness(t, gw, Options{Clock: clock})
	h.conn.restartJitter = 100 * time.Millisecond
	h.run()
	defer h.stop()
	h.waitState(Connected)
	for i := range 3 { // the jitter is random: a few drains
		gw.Restart(t) // Stop closes every link with 1012
		s := h.waitState(Reconnecting)
		if d := s.RetryAt.Sub(clock.Now()); d < 0 || d >= h.conn.restartJitter {
			t.Fatalf("drain %d: reconnecting in %v, want below %v", i, d, h.conn.restartJitter)
		}
		if !strings.Contains(s.Error, "restarting") {
			t.Fatalf("drain %d: reason %q", i, s.Error)
		}
		clock.Advance(s.RetryAt.Sub(clock.Now()))
		h.waitState(Connected)
	}
}

// deadlineConn records the write deadlines set on a real connection.
type deadlineConn struct {
	net.Conn
	mu  *sync.Mutex
	set *[]time.Time
}

func (c deadlineConn) SetDeadline(t time.Time) error { c.record(t); return c.Conn.SetDeadline(t) }
func (c deadlineConn) SetWriteDeadline(t time.Time) error {
	c.record(t)
	return c.Conn.SetWriteDeadline(t)
}
func (c deadlineConn) record(t time.Time) {
	c.mu.Lock()
	*c.set = append(*c.set, t)
	c.mu.Unlock()
}

// An idle link arms no write deadline: a socket deadline is a runtime
// timer, and even cleared after its write it stays in the runtime's timer
// heap until its time, 10 s after every pong, when the idle app woke for it
// (issue 17). Over a few pongs after the handshake (whose timeout gorilla
// sets and clears once per connection), every deadline set on the socket
// is gorilla's clearing one.
func TestNoWriteDeadlineIsArmed(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 100 * time.Millisecond})
	var mu sync.Mutex
	var set []time.Time
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return deadlineConn{Conn: c, mu: &mu, set: &set}, nil
		}}
	h := newHarness(t, gw, Options{Dialer: d, Heartbeat: time.Second})
	h.run()
	defer h.stop()
	h.waitState(Connected)
	mu.Lock()
	handshake := len(set)
	mu.Unlock()
	waitFor := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		calls := append([]time.Time(nil), set[handshake:]...)
		mu.Unlock()
		for i, dl := range calls {
			if !dl.IsZero() {
				t.Fatalf("a write deadline was armed (call %d of %d): %v", i, len(calls), calls)
			}
		}
		if len(calls) >= 5 { // a few pongs
			return
		}
		if time.Now().After(waitFor) {
			t.Fatalf("only %d writes seen", len(calls))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stallConn is a socket whose writes stall once stall is set (a peer that
// stopped reading, its buffers full) until a write deadline that has passed
// is set, or it is closed.
type stallConn struct {
	net.Conn
	stall   *atomic.Bool
	once    *sync.Once
	unblock chan struct{}
}

func (c stallConn) Write(b []byte) (int, error) {
	if !c.stall.Load() {
		return c.Conn.Write(b)
	}
	<-c.unblock
	return 0, os.ErrDeadlineExceeded
}

func (c stallConn) SetWriteDeadline(t time.Time) error {
	if !t.IsZero() && !t.After(time.Now()) {
		c.once.Do(func() { close(c.unblock) })
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c stallConn) Close() error {
	c.once.Do(func() { close(c.unblock) })
	return c.Conn.Close()
}

// A write that does not go out within the write timeout still ends the
// link (the watchdog fails it), with no deadline armed meanwhile. Here the
// pong stalls; the app expects pings hourly, so only the watchdog can end
// the link.
func TestAStuckWriteEndsTheLink(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 100 * time.Millisecond})
	var stall atomic.Bool
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return stallConn{Conn: c, stall: &stall, once: &sync.Once{}, unblock: make(chan struct{})}, nil
		}}
	h := newHarness(t, gw, Options{Dialer: d, Heartbeat: time.Hour})
	h.conn.writeTimeout = 300 * time.Millisecond
	h.run()
	defer h.stop()
	h.waitState(Connected)
	stalled := time.Now()
	stall.Store(true)
	s := h.waitState(Reconnecting)
	if el := time.Since(stalled); el < 300*time.Millisecond {
		t.Fatalf("the link ended %v after the writes stalled, before the 300 ms timeout: %+v", el, s)
	}
}

package wake

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"
)

// run is Run with event sources the test drives, a fake clock and wall
// clock, and a network fingerprint the test sets.
type run struct {
	t     *testing.T
	clock *clockwork.FakeClock
	send  func(event)
	wakes chan string
	log   *bytes.Buffer

	mu    sync.Mutex
	slept time.Duration
	net   string

	cancel context.CancelFunc
	done   chan struct{}
}

func startRun(t *testing.T, cov covers) *run {
	r := &run{t: t, clock: clockwork.NewFakeClock(), wakes: make(chan string, 10), log: &bytes.Buffer{},
		net: "eth0=10.0.0.2/24", done: make(chan struct{})}
	sent := make(chan func(event), 1)
	o := Options{
		Logger: slog.New(slog.NewTextHandler(r.log, nil)),
		Clock:  r.clock,
		Wall:   func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.clock.Now().Add(r.slept) },
		NetPrint: func() string {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.net
		},
		sources: func(e sourceEnv) covers { sent <- e.send; return cov },
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { Run(ctx, o, func(reason string) { r.wakes <- reason }); close(r.done) }()
	r.send = <-sent
	return r
}

func (r *run) stop() { r.cancel(); <-r.done }

func (r *run) set(slept time.Duration, net string) {
	r.mu.Lock()
	r.slept, r.net = slept, net
	r.mu.Unlock()
}

func (r *run) wantWake(substr string) {
	r.t.Helper()
	select {
	case got := <-r.wakes:
		if !strings.Contains(got, substr) {
			r.t.Fatalf("woke for %q, want %q", got, substr)
		}
	case <-time.After(10 * time.Second):
		r.t.Fatalf("no wake (%s)", substr)
	}
}

func (r *run) wantNone() {
	r.t.Helper()
	select {
	case got := <-r.wakes:
		r.t.Fatalf("woke for %q", got)
	case <-time.After(100 * time.Millisecond):
	}
}

// timers waits until the fake clock has n timers waiting.
func (r *run) timers(n int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.clock.BlockUntilContext(ctx, n); err != nil {
		r.t.Fatalf("%d timers not set: %v", n, err)
	}
}

func TestEventsWakeTheLinkOnlyWhenSomethingChanged(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := startRun(t, covers{sleep: true, network: true})
	defer r.stop()

	r.send(resumed)
	r.wantWake("woke from sleep")
	// The timerfd sees the same resume a moment later: one wake is enough.
	r.set(time.Hour, "eth0=10.0.0.2/24")
	r.send(clockSet)
	r.wantNone()
	// The Wi-Fi comes back a moment after the resume: that is news.
	r.set(time.Hour, "eth1=10.9.9.9/24")
	r.send(netChanged)
	r.timers(1)
	r.clock.Advance(NetSettle)
	r.wantWake("network changed")

	r.clock.Advance(time.Minute)
	r.set(time.Hour+time.Second, "eth1=10.9.9.9/24")
	r.send(clockSet) // NTP stepped the clock by a second
	r.wantNone()
	r.set(3*time.Hour+time.Second, "eth1=10.9.9.9/24")
	r.send(clockSet) // set two hours ahead
	r.wantWake("wall clock jumped 2h")

	// A burst of network events: one look at the addresses once it has
	// settled. An IPv6 address renewed (same addresses) wakes nothing.
	r.clock.Advance(time.Minute)
	r.send(netChanged)
	r.timers(1)
	r.clock.Advance(NetSettle)
	r.wantNone()
	r.set(3*time.Hour, "wlan0=192.168.1.5/24")
	r.send(netChanged)
	r.timers(1)
	r.send(netChanged)
	r.clock.Advance(NetSettle / 2)
	r.wantNone()
	r.clock.Advance(NetSettle)
	r.wantWake("network changed")

	// With every change covered by events nothing polls: no timer is set,
	// and a change without an event (none is ever missed) goes unseen.
	r.set(5*time.Hour, "eth1=10.1.0.2/24")
	r.clock.Advance(time.Hour)
	r.wantNone()
	if strings.Contains(r.log.String(), "looking every") {
		t.Fatalf("fell back to polling with every event source up: %s", r.log)
	}
}

func TestFallbackLooksEveryMinuteWithoutEvents(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := startRun(t, covers{sleep: false, network: true})
	defer r.stop()
	r.timers(1)
	if !strings.Contains(r.log.String(), "no event from the system for sleep or clock change; looking every 1m0s") {
		t.Fatalf("log: %s", r.log)
	}
	r.set(time.Hour, "eth0=10.0.0.2/24")
	r.clock.Advance(DefaultFallback)
	r.wantWake("wall clock jumped 1h")
	// Network changes have their events: the fallback does not look.
	r.set(time.Hour, "wlan0=192.168.1.5/24")
	r.clock.Advance(DefaultFallback)
	r.wantNone()
	r.stop()

	r = startRun(t, covers{})
	defer r.stop()
	r.timers(1)
	r.set(0, "wlan0=192.168.1.5/24")
	r.clock.Advance(DefaultFallback)
	r.wantWake("network changed")
	if n := strings.Count(r.log.String(), "looking every"); n != 1 {
		t.Fatalf("said %d times that it polls: %s", n, r.log)
	}
}

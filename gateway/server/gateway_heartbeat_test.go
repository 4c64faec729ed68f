package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func TestPingEveryIntervalAndPongKeepsAlive(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 100 * time.Millisecond, MaxMissed: 3})
	c := authed(t, gw, "petr", nil)
	// Answer every ping for well past MaxMissed intervals: still connected.
	deadline := time.Now().Add(800 * time.Millisecond)
	pings := 0
	for time.Now().Before(deadline) {
		m := c.next(2 * time.Second)
		if m["type"] != protocol.TypePing {
			t.Fatalf("want ping, got %v", m)
		}
		pings++
		c.send(map[string]string{"type": protocol.TypePong})
	}
	if pings < 4 { // 8 expected; a ping sent late on a loaded machine delays the next
		t.Fatalf("only %d pings in 800ms at a 100ms interval", pings)
	}
	res := dispatch(t, gw, "petr", map[string]string{"title": "still here"})
	if res.Sent != 1 {
		t.Fatalf("pong-answering client no longer connected: %+v", res)
	}
}

func TestMissedPongsCloseTheConnection(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 100 * time.Millisecond, MaxMissed: 3})
	c := authed(t, gw, "petr", nil)
	start := time.Now()
	pings := 0
	for {
		m, err := c.tryNext(3 * time.Second)
		if err != nil {
			break
		}
		if m["type"] == protocol.TypePing {
			pings++
		}
	}
	if pings != 3 {
		t.Errorf("got %d pings before the close, want 3", pings)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("closed after %v, want about 4 intervals", d)
	}
}

// A pong resets the count: a client answering only every other ping
// survives with MaxMissed 3.
func TestPongResetsMissedCount(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 150 * time.Millisecond, MaxMissed: 3})
	c := authed(t, gw, "petr", nil)
	for i := 0; i < 10; i++ {
		if m := c.next(2 * time.Second); m["type"] != protocol.TypePing {
			t.Fatalf("want ping, got %v", m)
		}
		if i%2 == 1 {
			c.send(map[string]string{"type": protocol.TypePong})
		}
	}
}

// The heartbeat pings each client an interval after it connected, so
// clients that connected at different moments are pinged at different
// moments, not all in one burst (15,000 pings at once held deliveries up).
func TestPingsFollowConnectTimes(t *testing.T) {
	const interval = 2 * time.Second
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: interval, MaxMissed: 100})
	const n = 8
	// The gateway tracks a client between before and after; a loaded
	// machine can only make the test see auth_ok and the ping later than
	// they were sent, never earlier.
	before := make([]time.Time, n)
	after := make([]time.Time, n)
	pinged := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		before[i] = time.Now()
		c := authed(t, gw, fmt.Sprint("u", i), nil)
		after[i] = time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := c.tryNext(3 * interval)
			if err != nil || m["type"] != protocol.TypePing {
				t.Errorf("client %d: %v %v", i, m, err)
				return
			}
			pinged[i] = time.Now()
		}()
		time.Sleep(interval / n)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range pinged {
		// Not much before an interval after it was tracked: a quarter of
		// an interval of slack, since a connection tracked while the
		// heartbeat runs late (a loaded machine) joins the last slice
		// handled, whose next tick the clock brings sooner by that lag
		// (seen 1.895 s under load with the old ticker count). Not a
		// second interval later either: half an interval of slack for a
		// loaded machine's late reads (seen: 0.77 s at load 12).
		if d := pinged[i].Sub(before[i]); d < interval-interval/4 {
			t.Errorf("client %d pinged %v after connecting, want at least %v", i, d, interval-interval/4)
		}
		if d := pinged[i].Sub(after[i]); d > interval+interval/2 {
			t.Errorf("client %d pinged %v after connecting, want about %v", i, d, interval)
		}
	}
	// One burst would ping the first and the last client at one moment,
	// which the bounds above refuse as long as the connects spanned more
	// than both slacks.
	if span := before[n-1].Sub(after[0]); span <= interval/2+interval/4 {
		t.Fatalf("the connects spanned only %v: the test proves nothing about bursts", span)
	}
	if spread := pinged[n-1].Sub(pinged[0]); spread < interval/4 {
		t.Errorf("first and last client pinged %v apart though they connected %v apart: one burst", spread, after[n-1].Sub(before[0]))
	}
}

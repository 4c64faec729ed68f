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
	if pings < 4 { // 8 expected; a loaded CI machine may skip ticks
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
	const interval = 1200 * time.Millisecond
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: interval, MaxMissed: 100})
	const n = 8
	connected := make([]time.Time, n)
	pinged := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		c := authed(t, gw, fmt.Sprint("u", i), nil)
		connected[i] = time.Now()
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
		// An interval after the connect, give or take a tick and a loaded machine.
		if d := pinged[i].Sub(connected[i]); d < interval-200*time.Millisecond || d > interval+700*time.Millisecond {
			t.Errorf("client %d pinged %v after connecting, want about %v", i, d, interval)
		}
	}
	if spread := pinged[n-1].Sub(pinged[0]); spread < interval/2 {
		t.Errorf("first and last client pinged %v apart though they connected %v apart: one burst", spread, connected[n-1].Sub(connected[0]))
	}
}

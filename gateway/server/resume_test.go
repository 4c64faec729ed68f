package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func seqOf(t *testing.T, m map[string]any) uint64 {
	t.Helper()
	f, ok := m["seq"].(float64)
	if !ok {
		t.Fatalf("frame without seq: %v", m)
	}
	return uint64(f)
}

func TestOfflineDispatchArrivesOnResume(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	for i := 1; i <= 5; i++ {
		res := dispatch(t, gw, "petr", map[string]any{"title": fmt.Sprintf("n%d", i)})
		if res.Sent != 0 || !res.Stored || res.Seq != uint64(i) {
			t.Fatalf("dispatch %d = %+v", i, res)
		}
	}
	// Empty epoch: the whole retained history, oldest first, announced by
	// auth_ok's replay count.
	c := dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr"), Resume: &protocol.Resume{}})
	if ok := c.next(5 * time.Second); ok["type"] != protocol.TypeAuthOK || ok["replay"] != 5.0 {
		t.Fatalf("auth_ok = %v, want replay 5", ok)
	}
	var epoch string
	for i := 1; i <= 5; i++ {
		m := c.nextOfType(protocol.TypeNotification, 5*time.Second)
		if seqOf(t, m) != uint64(i) || m["title"] != fmt.Sprintf("n%d", i) {
			t.Fatalf("replay %d: %v", i, m)
		}
		epoch = m["epoch"].(string)
	}
	c.ws.Close()

	// From seq 3 of the same epoch: 4 and 5 only.
	c = authed(t, gw, "petr", &protocol.Resume{Epoch: epoch, Seq: 3})
	for _, want := range []uint64{4, 5} {
		if got := seqOf(t, c.nextOfType(protocol.TypeNotification, 5*time.Second)); got != want {
			t.Fatalf("resume from 3: got seq %d, want %d", got, want)
		}
	}
	// Then live, with the next seq.
	dispatch(t, gw, "petr", map[string]any{"title": "live"})
	if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); seqOf(t, m) != 6 || m["title"] != "live" {
		t.Fatalf("live after replay: %v", m)
	}
	c.ws.Close()

	// An unknown epoch replays everything retained.
	c = authed(t, gw, "petr", &protocol.Resume{Epoch: "not-this-one", Seq: 5})
	if got := seqOf(t, c.nextOfType(protocol.TypeNotification, 5*time.Second)); got != 1 {
		t.Fatalf("unknown epoch: first seq %d, want 1", got)
	}
	c.ws.Close()

	// A seed client (no resume) gets no replay and the seed's auth_ok: its
	// first frame after auth_ok is the next live notification.
	c = dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")})
	if ok := c.next(5 * time.Second); len(ok) != 2 || ok["type"] != protocol.TypeAuthOK || ok["username"] != "petr" {
		t.Fatalf("seed auth_ok = %v", ok)
	}
	dispatch(t, gw, "petr", map[string]any{"title": "only-live"})
	if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); m["title"] != "only-live" {
		t.Fatalf("seed client got %v", m)
	}
}

func TestHistoryIsBoundedPerUser(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{HistoryLimit: 10})
	for i := 1; i <= 25; i++ {
		dispatch(t, gw, "petr", map[string]any{"title": fmt.Sprint(i)})
	}
	dispatch(t, gw, "eva", map[string]any{"title": "eva-1"})
	c := authed(t, gw, "petr", &protocol.Resume{})
	for want := uint64(16); want <= 25; want++ {
		if got := seqOf(t, c.nextOfType(protocol.TypeNotification, 5*time.Second)); got != want {
			t.Fatalf("got seq %d, want %d", got, want)
		}
	}
	if m, err := c.tryNext(200 * time.Millisecond); err == nil && m["type"] == protocol.TypeNotification {
		t.Fatalf("more than the limit replayed: %v", m)
	}
	e := authed(t, gw, "eva", &protocol.Resume{})
	if m := e.nextOfType(protocol.TypeNotification, 5*time.Second); m["title"] != "eva-1" || seqOf(t, m) != 1 {
		t.Fatalf("eva's history: %v", m)
	}
}

func TestHistorySurvivesRestart(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	first := dispatch(t, gw, "petr", map[string]any{"title": "before"})
	c := authed(t, gw, "petr", &protocol.Resume{})
	m := c.nextOfType(protocol.TypeNotification, 5*time.Second)
	epoch := m["epoch"].(string)
	gw.Restart(t)
	res := dispatch(t, gw, "petr", map[string]any{"title": "after"})
	if res.Seq != first.Seq+1 {
		t.Fatalf("seq after restart %d, want %d", res.Seq, first.Seq+1)
	}
	c = authed(t, gw, "petr", &protocol.Resume{Epoch: epoch, Seq: 1})
	m = c.nextOfType(protocol.TypeNotification, 5*time.Second)
	if m["title"] != "after" || m["epoch"] != epoch {
		t.Fatalf("after restart: %v (epoch must be kept: %s)", m, epoch)
	}
}

// Dispatches racing with a resuming connect: the client sees every seq
// exactly once, in order, across the switch from replay to live. With
// fsync, a notification is replayed and delivered only once fsynced, by
// another goroutine than the one that wrote it.
func TestResumeSwitchHasNoGapNoDuplicate(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		t.Run(fmt.Sprint("fsync=", fsync), func(t *testing.T) { testResumeSwitch(t, fsync) })
	}
}

func testResumeSwitch(t *testing.T, fsync bool) {
	gw := gatewaytest.Start(t, gatewaytest.Options{HistoryLimit: 1000, Fsync: fsync})
	const total = 400
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cl := gw.Client()
		defer cl.Close()
		for i := 1; i <= total; i++ {
			if _, err := cl.Dispatch(t.Context(), "petr", map[string]any{"title": fmt.Sprint(i)}); err != nil {
				t.Errorf("dispatch: %v", err)
				return
			}
		}
	}()
	// Connect a few clients at different moments of the stream.
	for k := 0; k < 4; k++ {
		time.Sleep(time.Duration(k) * 5 * time.Millisecond)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := authed(t, gw, "petr", &protocol.Resume{})
			want := uint64(1)
			for want <= total {
				m := c.nextOfType(protocol.TypeNotification, 10*time.Second)
				if got := seqOf(t, m); got != want {
					t.Errorf("client %d: got seq %d, want %d", k, got, want)
					return
				}
				want++
			}
		}()
	}
	wg.Wait()
}

// A replay longer than the send queue is not mistaken for a slow client.
func TestReplayLongerThanSendQueue(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{SendQueue: 8, HistoryLimit: 100})
	for i := 1; i <= 50; i++ {
		dispatch(t, gw, "petr", map[string]any{"title": fmt.Sprint(i)})
	}
	c := authed(t, gw, "petr", &protocol.Resume{})
	for want := uint64(1); want <= 50; want++ {
		if got := seqOf(t, c.nextOfType(protocol.TypeNotification, 5*time.Second)); got != want {
			t.Fatalf("got seq %d, want %d", got, want)
		}
	}
}

package server_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
	testOfflineDispatchArrivesOnResume(t, gatewaytest.Options{})
}

func testOfflineDispatchArrivesOnResume(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
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
		t.Run(fmt.Sprint("fsync=", fsync), func(t *testing.T) {
			testResumeSwitch(t, gatewaytest.Options{HistoryLimit: 1000, Fsync: fsync})
		})
	}
}

func testResumeSwitch(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
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
	testReplayLongerThanSendQueue(t, gatewaytest.Options{SendQueue: 8, HistoryLimit: 100})
}

func testReplayLongerThanSendQueue(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
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

// A replay spanning many pages (the history read a page at a time as the
// client reads) while new notifications keep coming: every seq once, in
// order, replayed then live, with no gap and no duplicate.
func TestPagedReplayWhileDispatchingHasNoGapNoDuplicate(t *testing.T) {
	testPagedReplayWhileDispatchingHasNoGapNoDuplicate(t, gatewaytest.Options{HistoryLimit: 1000, SendQueue: 1024})
}

func testPagedReplayWhileDispatchingHasNoGapNoDuplicate(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	pad := strings.Repeat("p", 20<<10) // 300 × 20 KiB: ~24 pages of hub.ReplayPageBytes
	const before, during = 300, 200
	for i := 1; i <= before; i++ {
		dispatch(t, gw, "petr", map[string]any{"title": fmt.Sprint(i), "message": pad})
	}
	c := authed(t, gw, "petr", &protocol.Resume{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		cl := gw.Client()
		defer cl.Close()
		for i := before + 1; i <= before+during; i++ {
			if _, err := cl.Dispatch(t.Context(), "petr", map[string]any{"title": fmt.Sprint(i), "message": pad}); err != nil {
				t.Errorf("dispatch: %v", err)
				return
			}
		}
	}()
	for want := uint64(1); want <= before+during; want++ {
		m := c.nextOfType(protocol.TypeNotification, 10*time.Second)
		if got := seqOf(t, m); got != want {
			t.Fatalf("got seq %d, want %d", got, want)
		}
		if want%50 == 0 {
			time.Sleep(20 * time.Millisecond) // a slow reader: the dispatches overtake the replay
		}
	}
	<-done
}

// Connections that resume and then never read hold a page of history
// each, not the whole history: five of them on a history of 200 frames
// of 60 KiB (12 MB) used to queue 60 MB.
func TestReplayToClientsThatDoNotReadIsBounded(t *testing.T) {
	testReplayToClientsThatDoNotReadIsBounded(t, gatewaytest.Options{})
}

func testReplayToClientsThatDoNotReadIsBounded(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	pad := strings.Repeat("p", 60<<10)
	for i := 1; i <= 200; i++ {
		dispatch(t, gw, "petr", map[string]any{"title": fmt.Sprint(i), "message": pad})
	}
	// Restarted, so the history is read from the database (a copy each),
	// not shared with the records still held in memory after the commit.
	gw.Restart(t)
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := heap()
	tok := gw.Token(t, "petr")
	// A small receive buffer, so the kernel holds little of what the
	// gateway writes (the loopback would otherwise take megabytes of it).
	dialer := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				setReceiveBuffer(fd, 4096)
			})
		}}
		return d.Dial(network, addr)
	}}
	for i := 0; i < 5; i++ {
		ws, _, err := dialer.Dial(gw.WSURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		// Auth with resume from the start, then read auth_ok (sent once
		// the replay's first page is queued; in cluster mode a connection
		// counts in /health before its history is read) and nothing more.
		if err := ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tok, Resume: &protocol.Resume{}}); err != nil {
			t.Fatal(err)
		}
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var ok map[string]any
		if err := ws.ReadJSON(&ok); err != nil || ok["type"] != protocol.TypeAuthOK {
			t.Fatalf("connection %d: %v %v, want auth_ok", i, ok, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := gw.Client().Health(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if h.Users["petr"] == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections attached: %d of 5", h.Users["petr"])
		}
		time.Sleep(10 * time.Millisecond)
	}
	grown := int64(heap()) - int64(base)
	t.Logf("heap grew by %.1f MB for 5 resuming clients that do not read", float64(grown)/(1<<20))
	if grown > 16<<20 {
		t.Fatalf("heap grew by %d MB: the replays are queued whole", grown>>20)
	}
}

// A resume position beyond the user's last seq (2^64-1 used to wrap to 0
// and replay everything) replays nothing; live notifications follow.
func TestResumeBeyondTheLastSeqReplaysNothing(t *testing.T) {
	testResumeBeyondTheLastSeqReplaysNothing(t, gatewaytest.Options{})
}

func testResumeBeyondTheLastSeqReplaysNothing(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	for i := 1; i <= 3; i++ {
		dispatch(t, gw, "petr", map[string]any{"title": fmt.Sprint(i)})
	}
	h, _ := gw.Client().Health(t.Context())
	epoch := h.Epoch
	for _, seq := range []uint64{4, 1 << 63, ^uint64(0)} {
		c := dial(t, gw.WSURL)
		c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr"), Resume: &protocol.Resume{Epoch: epoch, Seq: seq}})
		if ok := c.nextOfType(protocol.TypeAuthOK, 5*time.Second); ok["replay"] != 0.0 {
			t.Fatalf("resume at seq %d: auth_ok %v, want replay 0", seq, ok)
		}
		dispatch(t, gw, "petr", map[string]any{"title": "live"})
		if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); m["title"] != "live" {
			t.Fatalf("resume at seq %d: first notification %v, want the live one", seq, m["title"])
		}
		c.ws.Close()
	}
}

// A client from another history (a lost database, another gateway) with
// a large seq gets this history's notifications, live ones included: its
// seq means nothing here and filters nothing.
func TestResumeFromAForeignHistoryFiltersNothing(t *testing.T) {
	testResumeFromAForeignHistoryFiltersNothing(t, gatewaytest.Options{})
}

func testResumeFromAForeignHistoryFiltersNothing(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	c := dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "anna"), Resume: &protocol.Resume{Epoch: "lost", Seq: 500}})
	if ok := c.nextOfType(protocol.TypeAuthOK, 5*time.Second); ok["replay"] != 0.0 {
		t.Fatalf("auth_ok %v, want replay 0", ok)
	}
	dispatch(t, gw, "anna", map[string]any{"title": "first here"})
	if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); m["title"] != "first here" || seqOf(t, m) != 1 {
		t.Fatalf("got %v", m)
	}
}

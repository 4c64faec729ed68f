package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func TestFrameOver64KiBClosesWith1009(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	c := authed(t, gw, "petr", nil)
	big := `{"type":"pong","pad":"` + strings.Repeat("x", protocol.MaxFrameBytes) + `"}`
	c.ws.WriteMessage(websocket.TextMessage, []byte(big))
	err := c.expectClosed(5 * time.Second)
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("close = %v, want 1009", err)
	}
	// Also before auth.
	c = dial(t, gw.WSURL)
	c.ws.WriteMessage(websocket.TextMessage, []byte(big))
	if err := c.expectClosed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("pre-auth close = %v, want 1009", err)
	}
	// A frame just under the limit is fine (and ignored).
	c = authed(t, gw, "petr", nil)
	ok := `{"type":"pong","pad":"` + strings.Repeat("x", protocol.MaxFrameBytes-40) + `"}`
	c.ws.WriteMessage(websocket.TextMessage, []byte(ok))
	// The earlier connections may still be detaching, so the proof is this
	// one receiving, not the count of connections reached.
	dispatch(t, gw, "petr", map[string]string{"title": "after-big-frame"})
	if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); m["title"] != "after-big-frame" {
		t.Fatalf("connection dropped by an allowed frame: got %v", m)
	}
}

func TestUnknownFramesAfterAuthAreIgnored(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	c := authed(t, gw, "petr", nil)
	for _, f := range []string{`{"type":"subscribe","topic":"x"}`, `not json`, `{"type":"auth","token":"x"}`, `42`} {
		c.ws.WriteMessage(websocket.TextMessage, []byte(f))
	}
	c.ws.WriteMessage(websocket.BinaryMessage, []byte{0, 1, 2})
	dispatch(t, gw, "petr", map[string]string{"title": "still-works"})
	if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); m["title"] != "still-works" {
		t.Fatalf("got %v", m)
	}
}

// A client that never reads fills its queue and is dropped; a healthy
// client of the same user keeps getting every notification meanwhile.
func TestSlowClientIsDroppedWithoutSlowingOthers(t *testing.T) {
	// The default queue (256): a reader that keeps up never gets near it,
	// one that stops reading fills it once its socket buffers are full.
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	slow := dial(t, gw.WSURL)
	slow.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")})
	slow.next(5 * time.Second) // auth_ok, then it never reads again
	fast := authed(t, gw, "petr", nil)

	const n = 1500
	msg := strings.Repeat("m", 16<<10) // fills the slow socket's kernel buffers quickly
	var wg sync.WaitGroup
	wg.Add(1)
	received := 0
	go func() {
		defer wg.Done()
		for received < n {
			if _, err := fast.tryNext(10 * time.Second); err != nil {
				t.Errorf("fast client: %v after %d", err, received)
				return
			}
			received++
		}
	}()
	cl := gw.Client()
	defer cl.Close()
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := cl.Dispatch(t.Context(), "petr", map[string]string{"title": fmt.Sprint(i), "message": msg}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if received != n {
		t.Fatalf("fast client got %d of %d", received, n)
	}
	t.Logf("%d dispatches with a stuck client in %v", n, time.Since(start))
	_, _, raw := rawHTTP(t, gw.Socket, "GET", "/metrics", "")
	if !strings.Contains(raw, "ws_gateway_dropped_slow_clients_total 1") {
		t.Fatalf("slow client not counted as dropped")
	}
	h, _ := cl.Health(t.Context())
	if h.Users["petr"] != 1 {
		t.Fatalf("health after drop: %+v", h)
	}
}

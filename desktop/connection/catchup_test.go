package connection

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jonboulle/clockwork"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// nextStatus returns the next status reported.
func (h *harness) nextStatus() Status {
	h.t.Helper()
	select {
	case s := <-h.statuses:
		return s
	case <-time.After(10 * time.Second):
		h.t.Fatalf("no status after %+v", h.conn.Status())
		return Status{}
	}
}

// The status says when the replay after auth_ok is over (CatchingUp), so
// a caller can wait for it instead of sleeping past it. From a gateway that
// does not announce the replay's length (older than resume: a stand-in that
// answers auth_ok without "replay") the link gathers for catchUpGap after
// auth_ok; the status turns once that has passed.
func TestCatchingUpEndsAfterTheGap(t *testing.T) {
	up := websocket.Upgrader{}
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
		ws.WriteJSON(protocol.AuthOK{Type: protocol.TypeAuthOK, Username: "petr"})
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer old.Close()
	clock := clockwork.NewFakeClock()
	statuses := make(chan Status, 100)
	c := New(Options{
		URL:      func() string { return "ws" + strings.TrimPrefix(old.URL, "http") + "/" },
		Token:    func() string { return "token" },
		OnStatus: func(s Status) { statuses <- s },
		Clock:    clock,
		Logger:   slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	next := func() Status {
		select {
		case s := <-statuses:
			return s
		case <-time.After(10 * time.Second):
			t.Fatalf("no status after %+v", c.Status())
			return Status{}
		}
	}
	s := next()
	for s.State != Connected {
		s = next()
	}
	if !s.CatchingUp {
		t.Fatalf("connected to a gateway that does not announce its replay: %+v, want catching up", s)
	}
	clock.Advance(catchUpGap) // the gap's timer exists: it is set before the status
	if s := next(); s.State != Connected || s.CatchingUp {
		t.Fatalf("after the gap: %+v, want connected and caught up", s)
	}
}

// With a cursor the gateway announces how many frames the replay holds:
// caught up once the last of them is delivered, with them.
func TestCatchingUpEndsWithTheAnnouncedReplay(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	dispatch(t, gw, "a", "b")
	h := newHarness(t, gw, Options{})
	h.cursor = &protocol.Resume{} // from the start
	h.run()
	defer h.stop()
	if s := h.waitState(Connected); !s.CatchingUp {
		t.Fatalf("connected with 2 to replay: %+v, want catching up", s)
	}
	if s := h.nextStatus(); s.State != Connected || s.CatchingUp {
		t.Fatalf("after the replay: %+v, want connected and caught up", s)
	}
	if got, flags := h.waitCount(2), h.flags(); len(got) != 2 || !flags[0] || !flags[1] {
		t.Fatalf("replayed %d frames, flags %v", len(got), flags)
	}
}

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

// A refusal that is not the token's (here the per-user connection limit:
// auth_error with code unavailable) must not send the app to refresh the
// token: no OnAuthError, no AuthFailed; the link retries through the
// backoff and connects on its own once the gateway takes it.
func TestRefusalNotOfTheTokenIsRetriedWithoutTheApp(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{MaxConnsPer: 1})
	holder, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := holder.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")}); err != nil {
		t.Fatal(err)
	}
	var ok protocol.AuthOK
	if err := holder.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK {
		t.Fatalf("the first connection: %+v %v", ok, err)
	}

	clock := clockwork.NewFakeClock()
	h := newHarness(t, gw, Options{Clock: clock})
	h.run()
	defer h.stop()
	timeout := time.After(10 * time.Second)
	for waiting := true; waiting; {
		select {
		case s := <-h.statuses:
			switch s.State {
			case AuthFailed:
				t.Fatalf("the link waits for the app after a refusal that is not the token's: %+v", s)
			case Reconnecting:
				if !strings.Contains(s.Error, "too many connections") {
					t.Errorf("reconnecting says %q, want the gateway's reason", s.Error)
				}
				waiting = false
			}
		case <-timeout:
			t.Fatalf("no Reconnecting status (now %+v)", h.conn.Status())
		}
	}
	select {
	case m := <-h.authErrs:
		t.Fatalf("OnAuthError(%q): the app would refresh a token the gateway did not refuse", m)
	default:
	}
	holder.Close()
	if n := gwConns(t, gw); n != 0 {
		t.Fatalf("%d connections after the first closed", n)
	}
	clock.Advance(h.conn.Status().RetryAt.Sub(clock.Now())) // the backoff wait under way
	h.advanceUntilConnected(clock)
}

// A gateway older than the auth_error code sends none: the refusal counts
// as the token's, as it always did, and the app is asked to refresh.
// The older gateway is a stand-in that answers any auth frame as its
// refuse() did: type and message, then close.
func TestAuthErrorWithoutCodeAsksTheApp(t *testing.T) {
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
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"auth_error","message":"invalid token: token has expired"}`))
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, ""), time.Now().Add(time.Second))
	}))
	defer old.Close()
	authErrs := make(chan string, 1)
	statuses := make(chan Status, 100)
	c := New(Options{
		URL:         func() string { return "ws" + strings.TrimPrefix(old.URL, "http") + "/" },
		Token:       func() string { return "a-token-the-old-gateway-refuses" },
		OnAuthError: func(m string) { authErrs <- m },
		OnStatus:    func(s Status) { statuses <- s },
		Logger:      slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case m := <-authErrs:
		if m != "invalid token: token has expired" {
			t.Fatalf("OnAuthError(%q)", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("OnAuthError not called for an auth_error without a code (now %+v)", c.Status())
	}
	if s := c.Status(); s.State != AuthFailed {
		t.Fatalf("state %v, want AuthFailed", s.State)
	}
}

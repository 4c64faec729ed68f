package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// gatewayRefuses waits until the gateway refuses token (true) or gives up.
func (e *env) gatewayRefuses(token string, within time.Duration) bool {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		typ, ws := e.connect(token)
		ws.conn.Close() // never hold more than one (the per-user limit would refuse the 6th)
		if typ == protocol.TypeAuthError {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// A gateway that loses its database (new epoch) gets every stored cutoff
// again while the webapp keeps running: at the next poll, or right after
// the next unlink when that comes first.
func TestCutoffsResentWhenGatewayEpochChanges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		trigger  func(t *testing.T, e *env)
	}{
		{"next poll", 100 * time.Millisecond, func(*testing.T, *env) {}},
		{"next unlink", time.Hour, func(t *testing.T, e *env) {
			c := e.signIn("ana@example.com")
			e.authorize(c)
			if a := e.do(c, http.MethodPost, protocol.PathDesktopUnlink, ""); a.status != 200 {
				t.Fatalf("unlink ana: %d %s", a.status, a.body)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			c := e.signIn("petr@example.com")
			old := e.authorize(c)
			if a := e.do(c, http.MethodPost, protocol.PathDesktopUnlink, ""); a.status != 200 {
				t.Fatalf("unlink: %d %s", a.status, a.body)
			}
			ctx, cancel := contextWithTimeout(30 * time.Second)
			defer cancel()
			go e.srv.SyncRevocations(ctx, tc.interval)
			deadline := time.Now().Add(5 * time.Second)
			for (e.srv.GatewayEpoch() == "" || e.srv.PendingRevocations() != 0) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			first := e.srv.GatewayEpoch()
			if first == "" || !e.gatewayRefuses(old, 0) {
				t.Fatalf("before: epoch %q, gateway refuses the revoked token: false", first)
			}

			// The gateway's database is lost: it forgets the cutoff. (With an
			// hour between polls nothing is resent before the trigger, so
			// that can be seen.)
			e.gw.RestartLosingState(t)
			if tc.interval == time.Hour {
				typ, ws := e.connect(old)
				ws.conn.Close()
				if typ != protocol.TypeAuthOK {
					t.Fatalf("the wiped gateway still refuses the old token (%s): the test proves nothing", typ)
				}
			}
			tc.trigger(t, e)
			if !e.gatewayRefuses(old, 5*time.Second) {
				t.Fatalf("the gateway accepts a token revoked before it lost its database (epoch %q -> %q)",
					first, e.srv.GatewayEpoch())
			}
			if now := e.srv.GatewayEpoch(); now == first {
				t.Fatalf("epoch not updated: %q", now)
			}
		})
	}
}

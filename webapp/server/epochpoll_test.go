package server_test

import (
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The webapp's epoch poll asks GET /epoch, not the whole /health (every
// online user), and learns a new epoch from it; a gateway older than
// /epoch answers 404 and the poll reads /health's epoch instead.
func TestEpochPollIsLight(t *testing.T) {
	for _, tc := range []struct {
		name    string
		missing []string
		asked   string // the path the poll learns the epoch from
	}{
		{"new gateway", nil, protocol.PathEpoch},
		{"older gateway", []string{protocol.PathEpoch}, protocol.PathHealth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := gatewaytest.Start(t, gatewaytest.Options{})
			p := gatewaytest.StartProxy(t, gw, tc.missing...)
			e := newEnv(t, envOpts{gw: gw, socket: p.Socket})
			ctx, cancel := contextWithTimeout(30 * time.Second)
			defer cancel()
			go e.srv.SyncRevocations(ctx, 20*time.Millisecond)
			first := waitEpoch(t, e, "")
			if h, err := gw.Client().Health(ctx); err != nil || h.Epoch != first {
				t.Fatalf("the webapp saw epoch %q, the gateway says %q (%v)", first, h.Epoch, err)
			}
			gw.RestartLosingState(t)
			waitEpoch(t, e, first)
			if n := p.Requests("GET", tc.asked); n < 2 {
				t.Fatalf("%d GET %s", n, tc.asked)
			}
			if n := p.Requests("GET", protocol.PathHealth); tc.missing == nil && n != 0 {
				t.Fatalf("%d GET /health beside %d GET /epoch", n, p.Requests("GET", protocol.PathEpoch))
			}
		})
	}
}

// waitEpoch waits until the webapp has seen an epoch other than not, and
// returns it.
func waitEpoch(t *testing.T, e *env, not string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if now := e.srv.GatewayEpoch(); now != "" && now != not {
			return now
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webapp still sees epoch %q", e.srv.GatewayEpoch())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package server

import (
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The running gateway forgets a revocation cutoff that expired while it
// runs (here one set already expired, after the start's prune), on its
// own schedule, and the schedule ends with the gateway (the package's
// leak check).
func TestRunningGatewayDropsExpiredRevocations(t *testing.T) {
	defer func(d time.Duration) { revocationPruneEvery = d }(revocationPruneEvery)
	revocationPruneEvery = 10 * time.Millisecond
	g := serveGateway(t)

	now := time.Now()
	old := now.Add(-protocol.TokenLifetime - protocol.RevocationSlack - time.Minute).Unix()
	if _, err := g.fanout.Revoke("ann", old); err != nil {
		t.Fatal(err)
	}
	if _, err := g.fanout.Revoke("bob", now.Unix()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for g.fanout.Cutoff("ann") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the expired cutoff is still kept after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if g.fanout.Cutoff("bob") != now.Unix() {
		t.Fatalf("bob's live cutoff is %d, want %d", g.fanout.Cutoff("bob"), now.Unix())
	}
}

package server_test

import (
	"testing"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
)

// GET /health names the database's epoch: the same across a restart, a new
// one when the database was lost (the webapp then resends its cutoffs).
func TestHealthCarriesEpoch(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	epoch := func() string {
		h, err := gw.Client().Health(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return h.Epoch
	}
	first := epoch()
	if first == "" {
		t.Fatal("health without epoch")
	}
	gw.Restart(t)
	if e := epoch(); e != first {
		t.Fatalf("epoch changed across a plain restart: %q -> %q", first, e)
	}
	gw.RestartEmpty(t)
	if e := epoch(); e == "" || e == first {
		t.Fatalf("epoch after the database was lost: %q (was %q)", e, first)
	}
}

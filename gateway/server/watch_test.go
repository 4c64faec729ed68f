package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testusers"
)

// An analyst's runner reports its own passes; reporting for someone else
// (keeping their switch from firing, or firing it) is 403, as a dispatch.
func TestUntrustedCallerMayOnlyReportItsOwnRunner(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	openToEveryone(t, gw)
	status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/heartbeat", `{"user":"nobody","every":"5m","outcomes":{"quiet":2}}`)
	if status != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("nobody for nobody: %d %s", status, body)
	}
	status, body = testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/heartbeat", `{"user":"petr","every":"5m"}`)
	if status != 403 || !strings.Contains(body, "uid 65534 (nobody) may only report its own runner") {
		t.Fatalf("nobody for petr: %d %s, want 403 saying why", status, body)
	}
	for _, bad := range []string{`{"user":"nobody","every":"500ms"}`, `{"user":"nobody","every":"5"}`, `{"every":"5m"}`,
		`{"user":"nobody","every":"5m","outcomes":{"<b>":1}}`, `{"user":"nobody","every":"5m","outcomes":{"quiet":-1}}`, `not json`} {
		if status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/heartbeat", bad); status != 400 {
			t.Errorf("%s: %d %s, want 400", bad, status, body)
		}
	}
	if status, _ := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "GET", "/heartbeat", ""); status != 403 {
		t.Errorf("GET /heartbeat by nobody: %d, want 403", status)
	}
	// Only nobody's runner is known; it is not overdue.
	status, _, raw := rawHTTP(t, gw.Socket, "GET", "/health", "")
	var h protocol.HealthResponse
	if err := json.Unmarshal([]byte(raw), &h); err != nil || status != 200 || len(h.OverdueRunners) != 0 || strings.Contains(raw, "overdue_runners") {
		t.Fatalf("health %d %s", status, raw)
	}
	_, _, raw = rawHTTP(t, gw.Socket, "GET", "/metrics", "")
	if !strings.Contains(raw, `notify_runner_script_outcomes_total{outcome="quiet"} 2`) || !strings.Contains(raw, "notify_runner_heartbeats_total 1") {
		t.Fatalf("metrics lack the heartbeat:\n%s", raw)
	}
}

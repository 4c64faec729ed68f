package server_test

import (
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The seed's README flow, as an app and a dispatcher written to it see it.
func TestSeedProtocolNotificationFlow(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	c := authed(t, gw, "petr", nil)

	n := map[string]any{
		"id": "uuid-1", "title": "Revenue Drop", "message": "Down 12%\nsince Monday",
		"image_url": "/api/notifications/images/abc.png", "script": "revenue_check",
		"timestamp": "2026-01-30T10:00:00Z", "custom": map[string]any{"k": 1.0},
	}
	res := dispatch(t, gw, "petr", n)
	if res.Sent != 1 || !res.Stored || res.Seq != 1 {
		t.Fatalf("dispatch answer = %+v, want sent 1 stored seq 1", res)
	}
	got := c.nextOfType(protocol.TypeNotification, 5*time.Second)
	for k, v := range n {
		if k == "custom" {
			if m, ok := got[k].(map[string]any); !ok || m["k"] != 1.0 {
				t.Errorf("extra field %s not passed through: %v", k, got[k])
			}
			continue
		}
		if got[k] != v {
			t.Errorf("field %s = %v, want %v", k, got[k], v)
		}
	}
	if got["seq"] != 1.0 || got["epoch"] == "" || got["epoch"] == nil {
		t.Errorf("frame lacks seq/epoch: %v", got)
	}
	// A user with no connection: sent 0.
	if res := dispatch(t, gw, "nobody", n); res.Sent != 0 || !res.Stored {
		t.Fatalf("offline dispatch = %+v", res)
	}
}

// The seed's troubleshooting line, verbatim but for the socket path.
func TestSeedCurlDispatch(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is needed for this test (Debian package curl)")
	}
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	c := authed(t, gw, "USERNAME", nil)
	out, err := exec.Command(curl, "-s", "--unix-socket", gw.Socket, "-X", "POST", "http://localhost/dispatch",
		"-H", "Content-Type: application/json",
		"-d", `{"user":"USERNAME","notification":{"id":"test-1","title":"Test Alert","message":"This is a test notification.","timestamp":"2026-01-30T12:00:00Z"}}`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil || res["sent"] != 1.0 {
		t.Fatalf("curl dispatch answered %s", out)
	}
	m := c.nextOfType(protocol.TypeNotification, 5*time.Second)
	if m["id"] != "test-1" || m["title"] != "Test Alert" || m["timestamp"] != "2026-01-30T12:00:00Z" {
		t.Fatalf("got %v", m)
	}
	out, _ = exec.Command(curl, "-s", "--unix-socket", gw.Socket, "http://localhost/health").Output()
	if err := json.Unmarshal(out, &res); err != nil || res["connections"] != 1.0 {
		t.Fatalf("curl health answered %s", out)
	}
}

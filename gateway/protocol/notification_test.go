package protocol

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNotificationFrameBytes(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"fast path":         `{"id":"x","title":"T","timestamp":"2026-01-30T10:00:00Z","data":{"k":[1,2]}}`,
		"fills id and time": ` { "title" : "T" } `,
		"overrides type":    `{"type":"evil","seq":99,"epoch":"old","title":"T"}`,
		"escaped key":       `{"\u0074ype":"evil","title":"T"}`,
		"id inside a value": `{"title":"the \"id\" word","message":"id"}`,
		"nested id":         `{"title":"T","data":{"id":1,"timestamp":2,"type":3}}`,
	}
	for name, in := range cases {
		out, err := NotificationFrameBytes(json.RawMessage(in), 5, "ep", now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s: output not JSON: %s", name, out)
		}
		if m["type"] != "notification" || m["seq"] != 5.0 || m["epoch"] != "ep" || m["title"] == nil {
			t.Errorf("%s: %s", name, out)
		}
		if id, _ := m["id"].(string); id == "" {
			t.Errorf("%s: no id: %s", name, out)
		}
		if ts, _ := m["timestamp"].(string); ts == "" {
			t.Errorf("%s: no timestamp: %s", name, out)
		}
	}
	// Dispatched values are kept exactly.
	out, _ := NotificationFrameBytes(json.RawMessage(cases["fast path"]), 1, "e", now)
	var nf NotificationFrame
	json.Unmarshal(out, &nf)
	if nf.ID != "x" || nf.Timestamp != "2026-01-30T10:00:00Z" {
		t.Errorf("dispatched id/timestamp changed: %s", out)
	}
	for _, bad := range []string{`[]`, `"x"`, `{`, ``} {
		if _, err := NotificationFrameBytes(json.RawMessage(bad), 1, "e", now); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

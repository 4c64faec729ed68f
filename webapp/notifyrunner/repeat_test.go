package notifyrunner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// history reads petr's whole stored history from the real gateway, as an
// app resuming from nothing gets it.
func history(t *testing.T, gw *gatewaytest.Gateway) []map[string]any {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr"), Resume: &protocol.Resume{}})
	var ok protocol.AuthOK
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&ok); err != nil || ok.Replay == nil {
		t.Fatalf("auth: %+v %v", ok, err)
	}
	var out []map[string]any
	for len(out) < *ok.Replay {
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != protocol.TypePing {
			out = append(out, m)
		}
	}
	return out
}

// A script that asks repeat_until_ack 15m is sent again every 15 minutes
// of the runner's clock (not sooner), as a repeat with the same id, until
// it is acknowledged; the state file then records the acknowledgement and
// nothing more is sent.
func TestRepeatUntilAcknowledged(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	home := notifyscript.Home(t.TempDir())
	if err := os.MkdirAll(home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{"notify": true, "title": "Disk full", "cooldown": "1d", "repeat_until_ack": "15m"})
	if err := os.WriteFile(home.ScriptPath("disk.py"), []byte("import sys\nsys.stdout.write("+string(mustJSON(t, string(out)))+")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gc := gw.Client()
	defer gc.Close()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now := t0
	r := &Runner{Home: home, User: "petr", Timeout: 30 * time.Second, Sinks: []Sink{GatewaySink{Client: gc}},
		Acks: gc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	pass := func(at time.Duration) Outcome {
		t.Helper()
		now = t0.Add(at)
		return r.RunOne(context.Background(), "disk.py")
	}
	if o := pass(0); o.Status != StatusNotified {
		t.Fatalf("first pass: %+v", o)
	}
	pass(5 * time.Minute)  // cooldown, and the interval has not passed
	pass(15 * time.Minute) // repeat 1
	pass(20 * time.Minute) // not yet
	pass(30 * time.Minute) // repeat 2
	h := history(t, gw)
	if len(h) != 3 {
		t.Fatalf("history %v, want the alert and two repeats", h)
	}
	id := h[0]["id"]
	for i, m := range h {
		if m["id"] != id || m["title"] != "Disk full" || (m["repeat"] == true) != (i > 0) {
			t.Fatalf("frame %d: %v", i, m)
		}
	}
	if m := h[2]; m["timestamp"] != t0.Add(30*time.Minute).Format(time.RFC3339) {
		t.Fatalf("repeat's timestamp %v", m["timestamp"])
	}

	if _, err := gc.Ack(context.Background(), "petr", id.(string), protocol.ViaWeb); err != nil {
		t.Fatal(err)
	}
	pass(45 * time.Minute)
	pass(60 * time.Minute)
	if h := history(t, gw); len(h) != 4 || h[3]["type"] != protocol.TypeAcked {
		t.Fatalf("after the ack: %v, want only the acked event added", h)
	}
	st, err := home.LoadState("disk")
	if err != nil || st.AckedAt == nil || st.AckedVia != protocol.ViaWeb || st.Repeat != nil || st.LastAlertID != id {
		t.Fatalf("state after the ack: %+v %v", st, err)
	}
}

// A repeat ends 24 hours after the first send even if nobody acknowledges.
func TestRepeatStopsAfter24Hours(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	home := notifyscript.Home(t.TempDir())
	if err := os.MkdirAll(home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{"notify": true, "title": "x", "cooldown": "2d", "repeat_until_ack": "12h"})
	os.WriteFile(home.ScriptPath("x.py"), []byte("import sys\nsys.stdout.write("+string(mustJSON(t, string(out)))+")\n"), 0o644)
	gc := gw.Client()
	defer gc.Close()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now := t0
	r := &Runner{Home: home, User: "petr", Timeout: 30 * time.Second, Sinks: []Sink{GatewaySink{Client: gc}},
		Acks: gc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	for _, at := range []time.Duration{0, 12 * time.Hour, 24 * time.Hour, 36 * time.Hour} {
		now = t0.Add(at)
		r.RunOne(context.Background(), "x.py")
	}
	if h := history(t, gw); len(h) != 2 {
		t.Fatalf("history %v, want the alert and one repeat (at 12h; 24h is the end)", h)
	}
	if st, _ := home.LoadState("x"); st.Repeat != nil || st.AckedAt != nil {
		t.Fatalf("state: %+v", st)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// A script printing 200 KB of data, run from the dashboard and from the
// desktop API: the alert reaches the app (which refuses frames over
// protocol.MaxFrameBytes, as the desktop app does) with its data replaced by
// the marker, the answer and the log say what was cut, and the next alert
// arrives after it.
func TestRunCutsOversizedDataAndTheNextAlertArrives(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.script("petr", "big.py", `import json
print(json.dumps({"notify": True, "title": "big", "message": "&" * 5000, "data": {"rows": "x" * 200000}}))`)
	e.script("petr", "next.py", `import json; print(json.dumps({"notify": True, "title": "next", "data": {"n": 1}}))`)
	tok := e.gw.Token(t, "petr")
	typ, app := e.connect(tok)
	if typ != protocol.TypeAuthOK {
		t.Fatal(typ)
	}
	app.conn.SetReadLimit(protocol.MaxFrameBytes)
	c := e.signIn("petr@example.com")

	checkBig := func(how string) {
		t.Helper()
		f := app.next(10 * time.Second)
		if f == nil || f["title"] != "big" || len([]rune(f["message"].(string))) != notifyscript.MaxMessageRunes {
			t.Fatalf("%s: big alert did not arrive whole: %v", how, f != nil)
		}
		d, _ := f["data"].(map[string]any)
		if d["dropped"] == nil || d["bytes"].(float64) < 200000 || d["max_bytes"] != float64(notifyscript.MaxDataBytes) {
			t.Fatalf("%s: data %v", how, d)
		}
		if f := app.next(10 * time.Second); f == nil || f["title"] != "next" {
			t.Fatalf("%s: the next alert did not arrive: %v", how, f)
		}
	}

	// Dashboard: the answer carries the warnings.
	a := e.do(c, http.MethodPost, "/dashboard/scripts/run", `{"name":"big.py"}`)
	var out struct {
		OK       bool     `json:"ok"`
		Gateway  string   `json:"gateway"`
		Warnings []string `json:"warnings"`
	}
	a.json(t, &out)
	if !out.OK || out.Gateway != "ok" || len(out.Warnings) != 2 || !strings.Contains(strings.Join(out.Warnings, "|"), `"data" is 200`) {
		t.Fatalf("dashboard run: ok %v gateway %q warnings %q", out.OK, out.Gateway, out.Warnings)
	}
	if a := e.do(c, http.MethodPost, "/dashboard/scripts/run", `{"name":"next.py"}`); a.status != 200 {
		t.Fatalf("next: %d %s", a.status, a.body)
	}
	checkBig("dashboard")

	// Desktop API: the contract's answer stays {"ok":true}; the log has it.
	for _, name := range []string{"big.py", "next.py"} {
		body, _ := json.Marshal(map[string]string{"name": name})
		if a := e.bearer(http.MethodPost, protocol.PathDesktopRunScript, tok, string(body)); a.status != 200 || strings.TrimSpace(string(a.body)) != `{"ok":true}` {
			t.Fatalf("run %s: %d %s", name, a.status, a.body)
		}
	}
	checkBig("desktop API")
	if !strings.Contains(e.logs.String(), "message cut to 3500 characters") {
		t.Fatalf("cut not logged:\n%s", e.logs.String())
	}
}

// The helper runs as the analyst, who can tamper with it (ptrace, same
// uid): the webapp fits what it prints again before dispatching. Here a
// stand-in helper prints an oversized result directly.
func TestRunFitsWhatTheHelperPrints(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "notify-scripts")
	if err := os.WriteFile(fake, []byte(`#!/usr/bin/env python3
import json
print(json.dumps({"notify": True, "script": "x", "title": "<" * 10000, "message": "m" * 100000,
  "data": {"rows": "x" * 300000}, "image_url": "/api/notifications/images/../../secret.png"}))
`), 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOpts{env: []string{"NOTIFY_SCRIPTS_HELPER=" + fake}})
	tok := e.gw.Token(t, "petr")
	typ, app := e.connect(tok)
	if typ != protocol.TypeAuthOK {
		t.Fatal(typ)
	}
	app.conn.SetReadLimit(protocol.MaxFrameBytes)
	if a := e.bearer(http.MethodPost, protocol.PathDesktopRunScript, tok, `{"name":"x.py"}`); a.status != 200 {
		t.Fatalf("run: %d %s", a.status, a.body)
	}
	f := app.next(10 * time.Second)
	if f == nil || len([]rune(f["title"].(string))) != notifyscript.MaxTitleRunes || len([]rune(f["message"].(string))) != notifyscript.MaxMessageRunes {
		t.Fatalf("notification not fitted (nil: %v)", f == nil)
	}
	if d, _ := f["data"].(map[string]any); d["dropped"] == nil {
		t.Fatalf("data %v", d)
	}
	if _, ok := f["image_url"]; ok {
		t.Fatalf("image_url passed on: %v", f["image_url"])
	}
}

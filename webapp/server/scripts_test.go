package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func TestScriptsListAndRunDispatches(t *testing.T) {
	e := newEnv(t, envOpts{})
	chart := e.chart()
	e.script("petr", "revenue_check.py", fmt.Sprintf(`import json
print(json.dumps({"notify": True, "title": "Revenue <b>drop</b>", "message": "Down 12%% vs last week",
  "image_path": %q, "cooldown": "6h", "data": {"drop": 12}}))`, chart))
	e.script("petr", "quiet.py", `import json; print(json.dumps({"notify": False}))`)
	tok := e.gw.Token(t, "petr")

	a := e.bearer(http.MethodGet, protocol.PathDesktopScripts, tok, "")
	if a.status != 200 {
		t.Fatalf("list: %d %s", a.status, a.body)
	}
	var list []map[string]any
	a.json(t, &list)
	if len(list) != 2 || list[1]["name"] != "revenue_check.py" || list[1]["stem"] != "revenue_check" {
		t.Fatalf("list: %s", a.body)
	}
	if v, ok := list[1]["last_run"]; !ok || v != nil {
		t.Fatalf("last_run must be present and null before a run: %s", a.body)
	}
	if _, ok := e.srv.Links.Linked("petr"); !ok {
		t.Fatal("a Bearer call did not mark the user linked")
	}

	typ, app := e.connect(tok)
	if typ != protocol.TypeAuthOK {
		t.Fatal(typ)
	}
	a = e.bearer(http.MethodPost, protocol.PathDesktopRunScript, tok, `{"name":"revenue_check.py"}`)
	if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"ok":true}` {
		t.Fatalf("run: %d %s", a.status, a.body)
	}
	f := app.next(5 * time.Second)
	if f == nil || f["type"] != "notification" || f["title"] != "Revenue <b>drop</b>" ||
		f["message"] != "Down 12% vs last week" || f["script"] != "revenue_check" || f["id"] == "" {
		t.Fatalf("notification: %v", f)
	}
	if _, err := time.Parse(time.RFC3339, f["timestamp"].(string)); err != nil {
		t.Fatalf("timestamp: %v", f["timestamp"])
	}
	if d, _ := f["data"].(map[string]any); d["drop"] != float64(12) {
		t.Fatalf("data not passed through: %v", f["data"])
	}
	imageURL, _ := f["image_url"].(string)
	if !strings.HasPrefix(imageURL, protocol.PathImagesPrefix) || !strings.HasSuffix(imageURL, ".png") {
		t.Fatalf("image_url %q", imageURL)
	}

	// The chart is served to the app's token and to a signed-in browser only.
	img := e.bearer(http.MethodGet, imageURL, tok, "")
	if img.status != 200 || img.header.Get("Content-Type") != "image/png" || img.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("image: %d %v", img.status, img.header)
	}
	if _, err := png.Decode(bytes.NewReader(img.body)); err != nil {
		t.Fatalf("image is not a PNG: %v", err)
	}
	e.do(nil, http.MethodGet, imageURL, "").errorBody(t, 401, "unauthorized")
	if a := e.do(e.signIn("ana@example.com"), http.MethodGet, imageURL, ""); a.status != 200 {
		t.Fatalf("image for a signed-in browser: %d", a.status)
	}

	// notify: false is a successful run that sends nothing.
	a = e.bearer(http.MethodPost, protocol.PathDesktopRunScript, tok, `{"name":"quiet.py"}`)
	if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"ok":true}` {
		t.Fatalf("quiet run: %d %s", a.status, a.body)
	}
	if f := app.next(500 * time.Millisecond); f != nil {
		t.Fatalf("notify:false dispatched %v", f)
	}
	// The helper recorded the run; the list shows it.
	a = e.bearer(http.MethodGet, protocol.PathDesktopScripts, tok, "")
	a.json(t, &list)
	if list[0]["last_run"] != "just now" {
		t.Fatalf("last_run after run: %s", a.body)
	}
}

func TestRunScriptBadInput(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.script("petr", "boom.py", `raise RuntimeError("database is down")`)
	e.script("petr", "nonotify.py", `import json; print(json.dumps({"title": "x"}))`)
	e.script("petr", "text.py", `print("hello")`)
	tok := e.gw.Token(t, "petr")
	run := func(body string) answer { return e.bearer(http.MethodPost, protocol.PathDesktopRunScript, tok, body) }

	run(`{"name":`).errorBody(t, 400, "bad_request")
	run(`[1,2]`).errorBody(t, 400, "bad_request")
	run(``).errorBody(t, 400, "bad_request")
	run(`{}`).errorBody(t, 400, "bad_request")
	for _, name := range []string{"../etc/passwd.py", "a/b.py", "/abs.py", ".hidden.py", "-rf.py", "x.sh", "x.py/", "x.py\n", "ünï.py"} {
		body, _ := json.Marshal(map[string]string{"name": name})
		msg := run(string(body)).errorBody(t, 400, "bad_request")
		if !strings.Contains(msg, "invalid script name") {
			t.Errorf("%q: %s", name, msg)
		}
	}
	big := `{"name":"` + strings.Repeat("a", 70<<10) + `.py"}`
	run(big).errorBody(t, 413, "too_large")

	msg := run(`{"name":"boom.py"}`).errorBody(t, 422, "script_failed")
	if !strings.Contains(msg, "database is down") {
		t.Errorf("script error message not passed on: %s", msg)
	}
	msg = run(`{"name":"missing.py"}`).errorBody(t, 404, "not_found")
	if !strings.Contains(msg, "missing.py") {
		t.Errorf("missing script: %s", msg)
	}
	if msg = run(`{"name":"nonotify.py"}`).errorBody(t, 422, "script_failed"); !strings.Contains(msg, "notify") {
		t.Errorf("missing notify: %s", msg)
	}
	run(`{"name":"text.py"}`).errorBody(t, 422, "script_failed")

	// No or bad token.
	e.do(nil, http.MethodPost, protocol.PathDesktopRunScript, `{"name":"boom.py"}`).errorBody(t, 401, "unauthorized")
	e.do(nil, http.MethodGet, protocol.PathDesktopScripts, "").errorBody(t, 401, "unauthorized")
	e.bearer(http.MethodGet, protocol.PathDesktopScripts, tok+"x", "").errorBody(t, 401, "unauthorized")
	// Never a stack trace.
	if strings.Contains(string(run(`{"name":"boom.py"}`).body), "Traceback") {
		t.Fatal("stack trace in the answer")
	}
}

func TestRunWithGatewayDownStillSucceeds(t *testing.T) {
	e := newEnv(t, envOpts{socket: "/nonexistent/ws.sock"})
	e.script("petr", "alert.py", `import json; print(json.dumps({"notify": True, "title": "t", "message": "m"}))`)
	tok := e.gw.Token(t, "petr")
	a := e.bearer(http.MethodPost, protocol.PathDesktopRunScript, tok, `{"name":"alert.py"}`)
	if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"ok":true}` {
		t.Fatalf("run with gateway down: %d %s", a.status, a.body)
	}
	if !strings.Contains(e.logs.String(), "gateway not running") {
		t.Fatalf("missing gateway not logged: %s", e.logs.String())
	}
}

func TestImagesNamesValidated(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.signIn("petr@example.com")
	for _, p := range []string{"..%2F..%2Fetc%2Fpasswd", "a.txt", "x.png.png", "%2e%2e.png", "nope.png"} {
		a := e.do(c, http.MethodGet, protocol.PathImagesPrefix+p, "")
		if a.status != 400 && a.status != 404 {
			t.Errorf("%s: %d", p, a.status)
		}
	}
}

func TestDashboardRunShowsResult(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.script("petr", "alert.py", `import json; print(json.dumps({"notify": True, "title": "<script>x</script>", "message": "m"}))`)
	c := e.signIn("petr@example.com")
	page := e.do(c, http.MethodGet, "/dashboard", "")
	if page.status != 200 || !strings.Contains(string(page.body), `data-name="alert.py"`) ||
		!strings.Contains(string(page.body), `id="link-badge">Not linked`) {
		t.Fatalf("dashboard: %d %s", page.status, page.body)
	}
	typ, app := e.connect(e.gw.Token(t, "petr"))
	if typ != protocol.TypeAuthOK {
		t.Fatal(typ)
	}
	a := e.do(c, http.MethodPost, "/dashboard/scripts/run", `{"name":"alert.py"}`)
	var out struct {
		OK        bool   `json:"ok"`
		Notify    bool   `json:"notify"`
		Title     string `json:"title"`
		Delivered int    `json:"delivered"`
		Gateway   string `json:"gateway"`
	}
	a.json(t, &out)
	if !out.OK || !out.Notify || out.Title != "<script>x</script>" || out.Delivered != 1 || out.Gateway != "ok" {
		t.Fatalf("dashboard run: %s", a.body)
	}
	if f := app.next(5 * time.Second); f == nil || f["title"] != "<script>x</script>" {
		t.Fatalf("notification %v", f)
	}
	// The app's first call to the webapp marks the user linked.
	e.bearer(http.MethodGet, protocol.PathDesktopScripts, e.gw.Token(t, "petr"), "")
	page = e.do(c, http.MethodGet, "/dashboard", "")
	if !strings.Contains(string(page.body), `id="link-badge">Linked`) {
		t.Fatal("badge did not flip to Linked after the app's token was used")
	}
}

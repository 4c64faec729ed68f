package server_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// Snooze and quiet hours from the desktop app (Bearer) and the portal
// (session), through the real helper as the user: what they set is in the
// user's own settings file, where the runner reads it; bad input is a 400
// with the helper's words and changes nothing; no caller acts for another
// user (the user comes from the token or the session, never the body).
func TestSnoozeAndQuietRoutes(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.script("petr", "revenue_check.py", `print('{"notify": false}')`)
	home := notifyscript.Home(filepath.Join(e.homeRoot, "petr"))
	tok := e.gw.Token(t, "petr")

	a := e.bearer(http.MethodPost, protocol.PathDesktopSnooze, tok, `{"name":"revenue_check","until":"1h"}`)
	var sn protocol.SnoozeResponse
	a.json(t, &sn)
	if a.status != 200 || sn.Script != "revenue_check" || sn.SnoozedUntil == nil || sn.SnoozedUntil.Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("snooze: %d %s", a.status, a.body)
	}
	var list []protocol.ScriptInfo
	e.bearer(http.MethodGet, protocol.PathDesktopScripts, tok, "").json(t, &list)
	if len(list) != 1 || list[0].SnoozedUntil == nil || !list[0].SnoozedUntil.Equal(*sn.SnoozedUntil) {
		t.Fatalf("list while snoozed: %+v", list)
	}
	if s, err := home.LoadSettings(); err != nil || !s.Snoozed["revenue_check"].Equal(*sn.SnoozedUntil) {
		t.Fatalf("settings: %+v %v", s, err)
	}
	msg := e.bearer(http.MethodPost, protocol.PathDesktopSnooze, tok, `{"name":"revenue_check","until":"yesterday"}`).errorBody(t, 400, "bad_request")
	if !strings.Contains(msg, `snooze "yesterday": give a duration`) {
		t.Fatalf("bad duration: %s", msg)
	}
	e.bearer(http.MethodPost, protocol.PathDesktopSnooze, tok, `{"name":"nope","until":"1h"}`).errorBody(t, 404, "not_found")
	e.bearer(http.MethodPost, protocol.PathDesktopSnooze, tok, `{"name":"revenue_check"}`).errorBody(t, 400, "bad_request")
	e.bearer(http.MethodPost, protocol.PathDesktopSnooze, "not-a-token", `{"name":"revenue_check","until":"1h"}`).errorBody(t, 401, "")
	a = e.bearer(http.MethodPost, protocol.PathDesktopUnsnooze, tok, `{"name":"revenue_check.py"}`)
	if a.status != 200 || !strings.Contains(string(a.body), `"snoozed_until":null`) {
		t.Fatalf("unsnooze: %d %s", a.status, a.body)
	}

	// Quiet hours from the app's Settings.
	a = e.bearer(http.MethodPost, protocol.PathDesktopQuiet, tok, `{"window":"22:00-07:00","tz":"Europe/Prague"}`)
	if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"quiet":{"start":"22:00","end":"07:00","tz":"Europe/Prague"}}` {
		t.Fatalf("set quiet: %d %s", a.status, a.body)
	}
	for body, want := range map[string]string{
		`{"window":"22:00-22:00"}`:                  "zero length",
		`{"window":"22:00-07:00","tz":"Mars/Base"}`: `time zone "Mars/Base" does not exist`,
		`{"window":"late"}`:                         "HH:MM-HH:MM",
		`{}`:                                        `"window"`,
	} {
		if msg := e.bearer(http.MethodPost, protocol.PathDesktopQuiet, tok, body).errorBody(t, 400, "bad_request"); !strings.Contains(msg, want) {
			t.Errorf("%s: %q, want %q", body, msg, want)
		}
	}
	a = e.bearer(http.MethodGet, protocol.PathDesktopQuiet, tok, "")
	if a.status != 200 || !strings.Contains(string(a.body), `"tz":"Europe/Prague"`) {
		t.Fatalf("quiet after refused changes: %d %s", a.status, a.body)
	}

	// The portal: the dashboard shows both; its routes need the session
	// and refuse cross-origin requests.
	c := e.signIn("petr@example.com")
	page := e.do(c, http.MethodGet, "/dashboard", "", "Accept", "text/html")
	if page.status != 200 || !strings.Contains(string(page.body), `Quiet every day from <b>22:00</b> to <b>07:00</b> (Europe/Prague).`) ||
		!strings.Contains(string(page.body), `aria-label="Snooze revenue_check for 1 hour"`) {
		t.Fatalf("dashboard: %d %s", page.status, page.body)
	}
	a = e.do(c, http.MethodPost, "/dashboard/scripts/snooze", `{"name":"revenue_check.py","until":"2h"}`)
	if a.status != 200 || !strings.Contains(string(a.body), `"script":"revenue_check"`) {
		t.Fatalf("portal snooze: %d %s", a.status, a.body)
	}
	page = e.do(c, http.MethodGet, "/dashboard", "", "Accept", "text/html")
	if !strings.Contains(string(page.body), `<span class="snoozed-until muted">until `) {
		t.Fatalf("dashboard while snoozed: %s", page.body)
	}
	e.do(c, http.MethodPost, "/dashboard/quiet", `{"off":true}`, "Origin", "https://evil.example").errorBody(t, 403, "")
	e.do(nil, http.MethodPost, "/dashboard/quiet", `{"off":true}`).errorBody(t, 401, "")
	if a := e.do(c, http.MethodPost, "/dashboard/quiet", `{"off":true}`); a.status != 200 || strings.TrimSpace(string(a.body)) != `{"quiet":null}` {
		t.Fatalf("portal quiet off: %d %s", a.status, a.body)
	}
	if s, err := home.LoadSettings(); err != nil || s.Quiet != nil || s.Snoozed["revenue_check"].IsZero() {
		t.Fatalf("settings at the end: %+v %v", s, err)
	}
}

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

// The dashboard marks a failing script at a glance (a mark, not only
// text) and shows its last error on demand, escaped; the app's script
// list carries the same health (docs/health.md).
func TestDashboardShowsScriptHealth(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.script("petr", "orders_sync.py", "import sys; sys.exit(1)\n")
	e.script("petr", "quiet.py", `print('{"notify": false}')`+"\n")
	home := notifyscript.Home(filepath.Join(e.homeRoot, "petr"))
	now := time.Now().UTC()
	since, good := now.Add(-15*time.Minute), now.Add(-2*time.Hour)
	code := 1
	if err := home.SaveState("orders_sync", notifyscript.State{LastRun: &now, Health: notifyscript.Health{
		LastOutcome: protocol.OutcomeFailed, LastExitCode: &code, LastRunAt: &now, LastGood: &good, FailStreak: 3, FailingSince: &since,
		LastError:  "orders_sync.py exited with status 1: KeyError: 'orders'",
		LastStderr: []string{"Traceback (most recent call last):", "KeyError: 'orders' <img src=x onerror=alert(1)>"}}}); err != nil {
		t.Fatal(err)
	}
	if err := home.SaveState("quiet", notifyscript.State{LastRun: &now, Health: notifyscript.Health{
		LastOutcome: protocol.OutcomeQuiet, LastRunAt: &now, LastGood: &now}}); err != nil {
		t.Fatal(err)
	}
	c := e.signIn("petr@example.com")
	page := e.do(c, http.MethodGet, "/dashboard", "")
	body := string(page.body)
	for _, want := range []string{
		`<td class="script-name health-bad"><span class="health bad" role="img" aria-label="Failing" title="Failing"></span><code>orders_sync</code>`,
		`Failing: 3 runs without a good one, last exit 1`,
		`<details class="last-error"><summary>Last error</summary><p>orders_sync.py exited with status 1: KeyError: &#39;orders&#39;</p>`,
		"<pre>Traceback (most recent call last):\nKeyError: &#39;orders&#39; &lt;img src=x onerror=alert(1)&gt;</pre>",
		`<td class="script-name health-ok"><span class="health ok" role="img" aria-label="Working" title="Working"></span><code>quiet</code>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(body, "<img src=x") || strings.Count(body, `<details class="last-error">`) != 1 {
		t.Fatalf("dashboard:\n%s", body)
	}

	var list []protocol.ScriptInfo
	e.bearer(http.MethodGet, protocol.PathDesktopScripts, e.gw.Token(t, "petr"), "").json(t, &list)
	if len(list) != 2 || list[0].Health == nil || !list[0].Health.Failing || list[0].Health.Mark() != protocol.MarkBad ||
		list[1].Health.Mark() != protocol.MarkOK {
		t.Fatalf("the app's list: %+v", list)
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// /scripts marks each script's health (docs/health.md): a failing one
// stands out, with its last error escaped.
func TestScriptsShowHealth(t *testing.T) {
	helper, err := testbin.Build(t.TempDir(), "github.com/keboola/analyst-alerts/webapp/cmd/notify-scripts")
	if err != nil {
		t.Fatal(err)
	}
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	group, err := exec.Command("id", "-gn").Output()
	if err != nil {
		t.Fatal(err)
	}
	homeRoot := t.TempDir()
	home := notifyscript.Home(filepath.Join(homeRoot, "petr"))
	if err := os.MkdirAll(home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"fine.py", "new.py", "orders_sync.py"} {
		if err := os.WriteFile(home.ScriptPath(n), []byte("print('{\"notify\": false}')\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	code := 1
	_ = home.SaveState("fine", notifyscript.State{LastRun: &now, Health: notifyscript.Health{LastOutcome: protocol.OutcomeQuiet, LastRunAt: &now, LastGood: &now}})
	_ = home.SaveState("orders_sync", notifyscript.State{LastRun: &now, Health: notifyscript.Health{LastOutcome: protocol.OutcomeFailed,
		LastExitCode: &code, LastRunAt: &now, FailStreak: 4, FailingSince: &now,
		LastError: "orders_sync.py exited with status 1: KeyError: <b>'orders'</b> & co"}})

	b := start(t, map[string]int64{"petr": 501},
		"NOTIFY_SCRIPTS_HELPER="+helper, "NOTIFY_SCRIPTS_RUN_AS=direct", "NOTIFY_SCRIPTS_HOME_ROOT="+homeRoot,
		"NOTIFY_ANALYST_GROUP="+strings.TrimSpace(string(group)), "WS_DISPATCH_SOCKET="+gw.Socket)
	b.API.Say(501, "/scripts")
	msgs, err := b.API.WaitBotMessages(501, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	want := "<b>Your scripts</b>\n🟢 <code>fine</code>: last run just now\n• <code>new</code>: never run\n" +
		"🔴 <code>orders_sync</code>: last run just now, <b>failing</b> (4 without a good run)\n" +
		"    <i>orders_sync.py exited with status 1: KeyError: &lt;b&gt;&#39;orders&#39;&lt;/b&gt; &amp; co</i>"
	if msgs[0].Text != want {
		t.Fatalf("/scripts:\n%s\nwant:\n%s", msgs[0].Text, want)
	}
}

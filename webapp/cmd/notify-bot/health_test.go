package main

import (
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// /scripts marks each script's health (docs/health.md): a failing one
// stands out, with its last error escaped.
func TestScriptsShowHealth(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	quiet := "print('{\"notify\": false}')\n"
	home, scriptsEnv := petrScripts(t, map[string]string{"fine.py": quiet, "new.py": quiet, "orders_sync.py": quiet})
	now := time.Now().UTC()
	code := 1
	_ = home.SaveState("fine", notifyscript.State{LastRun: &now, Health: notifyscript.Health{LastOutcome: protocol.OutcomeQuiet, LastRunAt: &now, LastGood: &now}})
	_ = home.SaveState("orders_sync", notifyscript.State{LastRun: &now, Health: notifyscript.Health{LastOutcome: protocol.OutcomeFailed,
		LastExitCode: &code, LastRunAt: &now, FailStreak: 4, FailingSince: &now,
		LastError: "orders_sync.py exited with status 1: KeyError: <b>'orders'</b> & co"}})

	b := start(t, map[string]int64{"petr": 501}, append(scriptsEnv, "WS_DISPATCH_SOCKET="+gw.Socket)...)
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

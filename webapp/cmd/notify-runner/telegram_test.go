package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/webapp/telegram/notifybottest"
)

// The runner against the real notify-bot (the other tests use the socket
// stand-in to see exactly what the runner sends): a linked user's alerts
// reach the chat on the stand-in Bot API, the chart as an uploaded photo
// with its caption escaped as HTML, the text alert escaped as HTML; a user
// with no linked chat is told apart from a missing bot.
func TestRunnerThroughTheRealBot(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	notifybottest.WriteUsers(t, dir, map[string]int64{user: 4242})
	bot := notifybottest.Start(t, notifybottest.Options{DataDir: dir, Env: []string{"NOTIFY_BOT_RATE_PER_CHAT=20"}})
	bot.API.OpenChat(4242)
	e.vars = append(e.vars, "NOTIFY_BOT_SOCKET="+bot.Socket)
	chart, chartBytes := writePNG(t)
	e.alert("a_revenue.py", map[string]any{"notify": true, "title": "Revenue <b>drop</b>", "message": "Down 20% & more",
		"image_path": chart})
	e.alert("b_signups.py", map[string]any{"notify": true, "title": "Signups_up *now*", "message": "+12% <i>"})
	out := e.mustRun()
	msgs, err := bot.API.WaitBotMessages(4242, 2, 20*time.Second)
	if err != nil {
		t.Fatalf("%v\nrunner:\n%s\nbot:\n%s", err, out, bot.Logs)
	}
	if !bytes.Equal(msgs[0].Photo, chartBytes) || msgs[0].Text != "<b>Revenue &lt;b&gt;drop&lt;/b&gt;</b>\nDown 20% &amp; more" || msgs[0].ParseMode != "HTML" {
		t.Fatalf("photo: caption %q mode %q, %d bytes", msgs[0].Text, msgs[0].ParseMode, len(msgs[0].Photo))
	}
	if msgs[1].Text != "<b>Signups_up *now*</b>\n+12% &lt;i&gt;\n<i>b_signups</i>" || msgs[1].ParseMode != "HTML" {
		t.Fatalf("text: %q (%s)", msgs[1].Text, msgs[1].ParseMode)
	}

	// Another user of the same machine, not linked: the bot refuses with
	// not_linked and the runner says so (the gateway still gets it).
	e.vars = append(e.vars, "NOTIFY_USER=jana")
	e.alert("c_other.py", map[string]any{"notify": true, "title": "x", "cooldown": "1m"})
	_, out = e.runner()
	if !bytes.Contains([]byte(out), []byte("no linked Telegram chat")) {
		t.Fatalf("runner output for an unlinked user:\n%s", out)
	}
}

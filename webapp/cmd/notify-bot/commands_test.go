package main

import (
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
)

// The linked user's commands, through the real notify-scripts helper (run
// directly, as in development) and a real gateway: /scripts lists with Run
// buttons, the button and /run deliver the alert to Telegram and to a
// connected desktop app, /status tells the desktop side, /test sends a
// chart; an unlinked chat gets the portal's link instead.
func TestCommandsRunScripts(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	_, scriptsEnv := petrScripts(t, map[string]string{
		"revenue_check.py": `import json
print(json.dumps({"notify": True, "title": "Revenue <b>drop</b>", "message": "down 12% & <script>", "cooldown": "1h"}))
`,
		"quiet.py": "import json; print(json.dumps({\"notify\": False}))\n",
	})
	b := start(t, map[string]int64{"petr": 501},
		append(scriptsEnv, "WS_DISPATCH_SOCKET="+gw.Socket, "NOTIFY_BOT_RATE_PER_CHAT=20")...)
	app := gw.ConnectApp(t, "petr")

	b.API.Say(501, "/scripts")
	msgs, err := b.API.WaitBotMessages(501, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	list := msgs[0]
	if !strings.Contains(list.Text, "<code>quiet</code>: never run") || !strings.Contains(list.Text, "<code>revenue_check</code>: never run") {
		t.Fatalf("/scripts: %q", list.Text)
	}
	if len(list.Buttons) != 2 || list.Buttons[1][0].Data != "run:revenue_check.py" {
		t.Fatalf("buttons: %+v", list.Buttons)
	}

	// The Run button: an answer at once, then the alert, escaped, in
	// Telegram and on the desktop.
	if err := b.API.Press(501, list.ID, "run:revenue_check.py"); err != nil {
		t.Fatal(err)
	}
	msgs, err = b.API.WaitBotMessages(501, 3, wait)
	if err != nil {
		t.Fatal(err)
	}
	// The reply is sent at once and the alert through the outbox: either
	// may come first.
	reply, alert := msgs[1], msgs[2]
	if strings.HasPrefix(alert.Text, "Running") {
		reply, alert = alert, reply
	}
	if !strings.Contains(reply.Text, "Running <code>revenue_check</code>") {
		t.Fatalf("run reply: %q", reply.Text)
	}
	want := "<b>Revenue &lt;b&gt;drop&lt;/b&gt;</b>\ndown 12% &amp; &lt;script&gt;\n<i>revenue_check</i>"
	if alert.Text != want || alert.ParseMode != "HTML" {
		t.Fatalf("alert: %q (%s)", alert.Text, alert.ParseMode)
	}
	if f := app.Next(wait); f.Title != "Revenue <b>drop</b>" || f.Script != "revenue_check" {
		t.Fatalf("desktop: %+v", f)
	}
	if err := b.API.Wait(wait, func(s *botapitest.Server) bool { return len(s.ChatLocked(501).Answers) == 1 }); err != nil {
		t.Fatal("the button press was not answered")
	}

	// /run by stem; a script that does not alert says so; a bad name.
	b.API.Say(501, "/run quiet")
	b.API.Say(501, "/run ../etc/passwd")
	b.API.Say(501, "/status")
	b.API.Say(501, "/test")
	msgs, err = b.API.WaitBotMessages(501, 9, wait)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	var photo []byte
	for _, m := range msgs[3:] {
		texts = append(texts, m.Text)
		if m.Photo != nil {
			photo = m.Photo
		}
	}
	all := strings.Join(texts, "\n---\n")
	for _, w := range []string{"Running <code>quiet</code>", "no alert this time", "Not a script name",
		"linked as <b>petr</b>", "Desktop app: not linked", "Live desktop connections: 1", "<code>revenue_check</code>: last run",
		"Sending a test alert", "Test alert for petr"} {
		if !strings.Contains(all, w) {
			t.Errorf("replies lack %q:\n%s", w, all)
		}
	}
	if photo == nil || !strings.HasPrefix(string(photo), "\x89PNG") {
		t.Error("/test sent no chart")
	}

	// An unlinked chat gets the portal's link for these commands.
	b.API.Say(777, "/scripts")
	if m, err := b.API.WaitBotMessages(777, 1, wait); err != nil || !strings.Contains(m[0].Text, "not linked") || !strings.Contains(m[0].Text, "http://portal.test/dashboard") {
		t.Fatalf("unlinked: %v %v", m, err)
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/internal/testusers"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
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

// A user who never linked Telegram: the bot answers 404 not_linked. That
// is no failure: the runner logs "sink skipped: no linked Telegram chat"
// at info level once per pass (not once per alert, not as an error), and
// the alerts count as delivered (the gateway took them).
func TestUnlinkedUserIsASkipOncePerPass(t *testing.T) {
	e := newEnv(t)
	bot := notifybottest.Start(t, notifybottest.Options{}) // nobody linked
	e.vars = append(e.vars, "NOTIFY_BOT_SOCKET="+bot.Socket)
	chart, _ := writePNG(t)
	e.alert("a_chart.py", map[string]any{"notify": true, "title": "with a chart", "image_path": chart, "cooldown": "0"})
	e.alert("b_text.py", map[string]any{"notify": true, "title": "text", "cooldown": "0"})
	e.alert("c_text.py", map[string]any{"notify": true, "title": "more text", "cooldown": "0"})

	// Two passes of one process (--every), so "once per pass" is seen
	// across passes of the same runner, as well as within one.
	cmd := exec.Command(binary, "--every", "1s")
	cmd.Env = slices.Clone(e.vars)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var out strings.Builder
	passes := 0
	sc := bufio.NewScanner(stdout)
	for passes < 2 && sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "run finished") {
			passes++
			if !strings.Contains(sc.Text(), "notified=3") || !strings.Contains(sc.Text(), "undelivered=0") {
				t.Errorf("pass %d: %s", passes, sc.Text())
			}
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if passes < 2 {
		t.Fatalf("the runner ended after %d passes:\n%s", passes, out.String())
	}
	text := out.String()
	skips := regexp.MustCompile(`level=INFO msg="sink skipped" user=petr sink=telegram reason="sink skipped: no linked Telegram chat"`).FindAllString(text, -1)
	if len(skips) != 2 || strings.Contains(text, "level=ERROR") || strings.Contains(text, "sink failed") {
		t.Fatalf("%d skip lines in 2 passes, want 2 and no error:\n%s", len(skips), text)
	}
	// Nothing reached Telegram.
	if n := bot.API.Calls("sendMessage") + bot.API.Calls("sendPhoto"); n != 0 {
		t.Fatalf("%d messages reached the Bot API", n)
	}
}

// The runner as it runs in production: as the analyst (here nobody, a
// real process with the kernel's credentials), against the real bot and
// gateway that trust only root. It sends to its own user, its chart (the
// published copy, which it owns) included; set to another user's name, it
// is refused by both and says so.
func TestRunnerAsTheAnalystThroughTheRealBot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test runs the runner as nobody: it needs root (as make test runs it)")
	}
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil { // the binary's folder
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "analyst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	home := notifyscript.Home(filepath.Join(base, "home"))
	images := filepath.Join(base, "images")
	for _, d := range []string{home.ScriptsDir(), images} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, chartBytes := writePNG(t)
	mine := filepath.Join(string(home), "chart.png")
	if err := os.WriteFile(mine, chartBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	script := func(name string, fields map[string]any) {
		b, _ := json.Marshal(fields)
		if err := os.WriteFile(home.ScriptPath(name), []byte("import sys\nsys.stdout.write("+strconv.Quote(string(b))+")\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script("a_chart.py", map[string]any{"notify": true, "title": "Revenue", "image_path": mine})
	script("b_text.py", map[string]any{"notify": true, "title": "Signups"})
	if err := filepath.Walk(base, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	notifybottest.WriteUsers(t, dir, map[string]int64{"nobody": 601, "petr": 501})
	bot := notifybottest.Start(t, notifybottest.Options{DataDir: dir, Env: []string{"NOTIFY_BOT_RATE_PER_CHAT=20"}})
	bot.OpenToEveryone(t)
	bot.API.OpenChat(601)
	bot.API.OpenChat(501)
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	for _, p := range []string{filepath.Dir(gw.Socket), gw.Socket} {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	run := func(extra ...string) string {
		t.Helper()
		cmd := exec.Command(binary)
		cmd.Env = append([]string{"HOME=" + string(home), "PATH=" + os.Getenv("PATH"), "NOTIFY_BOT_SOCKET=" + bot.Socket,
			"WS_DISPATCH_SOCKET=" + gw.Socket, "NOTIFICATION_IMAGES_DIR=" + images, "NOTIFY_SCRIPT_TIMEOUT_SECONDS=30"}, extra...)
		testusers.RunAs(cmd, testusers.Nobody(t))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("notify-runner as nobody: %v\n%s", err, out)
		}
		return string(out)
	}
	out := run()
	msgs, err := bot.API.WaitBotMessages(601, 2, 20*time.Second)
	if err != nil {
		t.Fatalf("%v\nrunner:\n%s\nbot:\n%s", err, out, bot.Logs)
	}
	if !bytes.Equal(msgs[0].Photo, chartBytes) || !strings.Contains(msgs[0].Text, "Revenue") || !strings.Contains(msgs[1].Text, "Signups") {
		t.Fatalf("nobody's chat: %q (%d bytes), %q\n%s", msgs[0].Text, len(msgs[0].Photo), msgs[1].Text, out)
	}
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, "level=WARN") || !strings.Contains(out, "sinks=\"[telegram gateway]\"") && !strings.Contains(out, "sinks=[telegram gateway]") {
		t.Fatalf("runner output:\n%s", out)
	}

	// As nobody, claiming to be petr: both sockets refuse, nothing reaches
	// petr, and the runner logs why (and retries next run; the first two
	// scripts are in their cooldown).
	script("c_claim.py", map[string]any{"notify": true, "title": "not from petr"})
	out = run("NOTIFY_USER=petr")
	if !strings.Contains(out, "uid 65534 (nobody) may only send to its own user") ||
		!strings.Contains(out, "uid 65534 (nobody) may only dispatch to its own user") || !strings.Contains(out, "undelivered=1") {
		t.Fatalf("runner as nobody for petr:\n%s", out)
	}
	if n := len(bot.API.BotMessages(501)); n != 0 {
		t.Fatalf("petr's chat got %d messages", n)
	}
}

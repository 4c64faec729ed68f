package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
	"github.com/keboola/analyst-alerts/webapp/telegram/notifybottest"
)

// The tests run the real notify-bot process (built with -race) against the
// stand-in Bot API; every test ends by checking the token is in no log line.

const wait = 20 * time.Second

func start(t *testing.T, users map[string]int64, env ...string) *notifybottest.Bot {
	t.Helper()
	dir := t.TempDir()
	if users != nil {
		notifybottest.WriteUsers(t, dir, users)
	}
	b := notifybottest.Start(t, notifybottest.Options{DataDir: dir, Env: env})
	t.Cleanup(func() { noToken(t, b.Logs.String()) })
	return b
}

// petrScripts builds the real notify-scripts helper and gives petr a home
// under a fresh root holding the given scripts (name to body). It returns
// that home and the bot's environment for running the helper directly over
// the root, as in development, with this process's group as the analysts'.
func petrScripts(t *testing.T, scripts map[string]string) (notifyscript.Home, []string) {
	t.Helper()
	helper, err := testbin.Build(t.TempDir(), "github.com/keboola/analyst-alerts/webapp/cmd/notify-scripts")
	if err != nil {
		t.Fatal(err)
	}
	group, err := exec.Command("id", "-gn").Output()
	if err != nil {
		t.Fatal(err)
	}
	homeRoot := t.TempDir()
	home := notifyscript.Home(filepath.Join(homeRoot, "petr"))
	if err := os.MkdirAll(home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range scripts {
		if err := os.WriteFile(home.ScriptPath(name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home, []string{"NOTIFY_SCRIPTS_HELPER=" + helper, "NOTIFY_SCRIPTS_RUN_AS=direct",
		"NOTIFY_SCRIPTS_HOME_ROOT=" + homeRoot, "NOTIFY_ANALYST_GROUP=" + strings.TrimSpace(string(group))}
}

func noToken(t *testing.T, logs string) {
	t.Helper()
	if strings.Contains(logs, notifybottest.Token) || strings.Contains(logs, strings.Split(notifybottest.Token, ":")[1]) {
		t.Errorf("the token is in the logs:\n%s", logs)
	}
}

// The old bot's telegram_users.json works from the first start; /send
// defaults to Markdown and takes a parse mode; /send_photo uploads the file.
func TestSeedUsersSendAndPhoto(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501, "jana": 502})
	c := b.Client()
	defer c.Close()
	ctx := context.Background()
	// The stand-in knows chats that talked to the bot.
	b.API.OpenChat(501)
	b.API.OpenChat(502)

	if err := c.Send(ctx, botclient.SendRequest{User: "petr", Text: "*Revenue* down"}); err != nil {
		t.Fatal(err)
	}
	html := botclient.FormatHTML("Revenue <b>", "down & out", "rev.py")
	if err := c.Send(ctx, botclient.SendRequest{User: "petr", Text: html, ParseMode: botclient.ParseModeHTML}); err != nil {
		t.Fatal(err)
	}
	img := pngFile(t)
	if err := c.SendPhoto(ctx, botclient.SendPhotoRequest{User: "jana", PhotoPath: img, Caption: "Chart *not markdown*_"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := b.API.WaitBotMessages(501, 2, wait)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Text != "*Revenue* down" || msgs[0].ParseMode != "Markdown" || msgs[1].Text != html || msgs[1].ParseMode != "HTML" {
		t.Fatalf("texts: %+v", msgs)
	}
	photos, err := b.API.WaitBotMessages(502, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(img)
	if !bytes.Equal(photos[0].Photo, want) || photos[0].Text != "Chart *not markdown*_" || photos[0].ParseMode != "" {
		t.Fatalf("photo: caption %q mode %q, %d bytes (want %d)", photos[0].Text, photos[0].ParseMode, len(photos[0].Photo), len(want))
	}
}

// Bad requests get a clear error and queue nothing.
func TestSocketRefusals(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501})
	b.API.OpenChat(501)
	notPNG := filepath.Join(t.TempDir(), "chart.png")
	if err := os.WriteFile(notPNG, []byte("GIF89a not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, body string
		status     int
		code, msg  string
	}{
		{"/send", `{"user":"nobody","text":"x"}`, 404, "not_linked", `user "nobody" has no linked Telegram chat`},
		{"/send", `{"text":"x"}`, 400, "bad_request", "user is required"},
		{"/send", `{"user":"petr"}`, 400, "bad_request", "text is required"},
		{"/send", `{"user":"petr","text":"x","parse_mode":"BBCode"}`, 400, "bad_request", "parse_mode"},
		{"/send", `not json`, 400, "bad_request", "not a JSON object"},
		{"/send", `{"user":"petr","text":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too_large", "larger than"},
		{"/send_photo", `{"user":"petr"}`, 400, "bad_request", "photo_path is required"},
		{"/send_photo", `{"user":"petr","photo_path":"` + notPNG + `"}`, 400, "bad_photo", "not a readable PNG or JPEG"},
		{"/send_photo", `{"user":"petr","photo_path":"/nonexistent/x.png"}`, 400, "bad_photo", "cannot read the file"},
		{"/send_photo", `{"user":"petr","photo_path":"relative.png"}`, 400, "bad_photo", "not an absolute path"},
		{"/send_photo", `{"user":"petr","photo_path":"/etc"}`, 400, "bad_photo", "not a regular file"},
	} {
		status, body := post(t, b.Socket, tc.path, tc.body)
		var e struct{ Error, Code string }
		_ = json.Unmarshal(body, &e)
		if status != tc.status || e.Code != tc.code || !strings.Contains(e.Error, tc.msg) {
			t.Errorf("%s %.60s: %d %s", tc.path, tc.body, status, body)
		}
	}
	// The socket is for the dispatchers' group.
	if fi, err := os.Stat(b.Socket); err != nil || fi.Mode().Perm() != 0o770 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket: %v %v", fi.Mode(), err)
	}
	h, err := b.Health()
	if err != nil || h.Queued != 0 || h.Status != "ok" || h.BotUsername != notifybottest.BotUsername || h.StartURL != b.APIURL+"/"+notifybottest.BotUsername+"?start=" {
		t.Fatalf("health: %v %v", h, err)
	}
	if n := len(b.API.BotMessages(501)); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}

// The old bot's code flow: /start in an unlinked private chat gives a
// 6-digit code; the dashboard's verify (chatlinks here; the webapp's route
// in its own tests) links it; /start then says as whom; /whoami, /unlink.
func TestStartCodeFlow(t *testing.T) {
	b := start(t, nil)
	b.API.Say(700, "/start")
	msgs, err := b.API.WaitBotMessages(700, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`<code>(\d{6})</code>`).FindStringSubmatch(msgs[0].Text)
	if code == nil || !strings.Contains(msgs[0].Text, "http://portal.test/dashboard") || !strings.Contains(msgs[0].Text, "10 minutes") {
		t.Fatalf("reply: %q", msgs[0].Text)
	}
	store, _ := chatlinks.Open(b.DataDir)
	if chat, err := store.VerifyPendingCode("eva", code[1]); err != nil || chat != 700 {
		t.Fatalf("verify: %d %v", chat, err)
	}
	send(t, b, "eva", "first alert")
	if _, err := b.API.WaitBotMessages(700, 2, wait); err != nil {
		t.Fatal(err)
	}
	b.API.Say(700, "/start")
	b.API.Say(700, "/whoami")
	b.API.Say(700, "/frobnicate")
	b.API.Say(700, "/help")
	msgs, err = b.API.WaitBotMessages(700, 6, wait)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"first alert", "linked to <b>eva</b>", "linked to <b>eva</b> since", "/help lists", "/unlink"} {
		if !strings.Contains(msgs[i+1].Text, want) {
			t.Errorf("message %d: %q lacks %q", i+1, msgs[i+1].Text, want)
		}
	}
	// A group cannot get a code.
	b.API.SayInGroup(-900, "/start")
	if g, err := b.API.WaitBotMessages(-900, 1, wait); err != nil || !strings.Contains(g[0].Text, "private chats only") {
		t.Fatalf("group: %v %v", g, err)
	}
	b.API.Say(700, "/unlink")
	if m, err := b.API.WaitBotMessages(700, 7, wait); err != nil || !strings.Contains(m[6].Text, "Unlinked") {
		t.Fatalf("unlink: %v", err)
	}
	if status, body := post(t, b.Socket, "/send", `{"user":"eva","text":"x"}`); status != 404 {
		t.Fatalf("after /unlink: %d %s", status, body)
	}
}

// The one-click link: /start <code> in a private chat links; a forged,
// reused or expired code, or one sent from a group, links nothing.
func TestOneClickLink(t *testing.T) {
	b := start(t, nil)
	store, _ := chatlinks.Open(b.DataDir)
	code, _, err := store.NewLinkCode("petr")
	if err != nil {
		t.Fatal(err)
	}
	// From a group: refused, and the code is not used up.
	b.API.SayInGroup(-42, "/start "+code)
	if m, err := b.API.WaitBotMessages(-42, 1, wait); err != nil || !strings.Contains(m[0].Text, "private chat") {
		t.Fatalf("group: %v %v", m, err)
	}
	b.API.Say(801, "/start forged-code_123")
	b.API.Say(801, "/start "+code)
	m, err := b.API.WaitBotMessages(801, 2, wait)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m[0].Text, "not valid") || !strings.Contains(m[1].Text, "Linked") || !strings.Contains(m[1].Text, "<b>petr</b>") {
		t.Fatalf("replies: %q / %q", m[0].Text, m[1].Text)
	}
	// Used: another chat cannot take it.
	b.API.Say(802, "/start "+code)
	if m, err := b.API.WaitBotMessages(802, 1, wait); err != nil || !strings.Contains(m[0].Text, "not valid") {
		t.Fatalf("reuse: %v %v", m, err)
	}
	if l, ok, _ := store.Chat("petr"); !ok || l.ChatID != 801 {
		t.Fatalf("petr: %+v", l)
	}
	send(t, b, "petr", "alert after link")
	if m, err := b.API.WaitBotMessages(801, 3, wait); err != nil || m[2].Text != "alert after link" {
		t.Fatalf("alert: %v", err)
	}
}

// A 429 storm loses nothing and keeps the order; at the default limits the
// bot never trips Telegram's per-chat flood control in the first place.
func Test429StormAndLimits(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501}, "NOTIFY_BOT_RATE_PER_CHAT=50")
	b.API.OpenChat(501)
	b.API.Fail429(4, 1)
	for i := range 50 {
		send(t, b, "petr", fmt.Sprintf("alert %02d", i))
	}
	msgs, err := b.API.WaitBotMessages(501, 50, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if m.Text != fmt.Sprintf("alert %02d", i) {
			t.Fatalf("message %d is %q", i, m.Text)
		}
	}
	if n := b.API.Calls("sendMessage"); n != 54 {
		t.Fatalf("%d sendMessage calls, want 50 + 4 refused", n)
	}
	if !strings.Contains(b.Logs.String(), "429") {
		t.Fatal("the 429s were not logged")
	}
}

func TestDefaultRateKeepsTelegramsLimit(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501, "jana": 502})
	b.API.EnforcePerChat(700 * time.Millisecond) // 429 to faster sends (300 ms of slack for a loaded machine)
	b.API.OpenChat(501)
	b.API.OpenChat(502)
	for i := range 3 {
		send(t, b, "petr", fmt.Sprintf("p%d", i))
		send(t, b, "jana", fmt.Sprintf("j%d", i))
	}
	for _, chat := range []int64{501, 502} {
		if _, err := b.API.WaitBotMessages(chat, 3, wait); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.API.Calls("sendMessage"); n != 6 {
		t.Fatalf("%d sendMessage calls for 6 messages: the bot sent faster than one a second per chat", n)
	}
}

// kill -9 with messages queued: they are sent after the restart, in order,
// and what the API had taken before the kill is not sent again. The update
// offset survives too: /start is not answered twice.
func TestKill9KeepsTheOutbox(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501}, "NOTIFY_BOT_RATE_PER_CHAT=100")
	b.API.Say(501, "/start")
	if _, err := b.API.WaitBotMessages(501, 1, wait); err != nil {
		t.Fatal(err)
	}
	send(t, b, "petr", "before 1")
	send(t, b, "petr", "before 2")
	if _, err := b.API.WaitBotMessages(501, 3, wait); err != nil {
		t.Fatal(err)
	}
	// Telegram goes down (every send answers 429 for a minute): the
	// messages stay queued.
	b.API.Fail429(1000, 60)
	for i := range 5 {
		send(t, b, "petr", fmt.Sprintf("queued %d", i))
	}
	if err := b.API.Wait(wait, func(s *botapitest.Server) bool { return s.CallsLocked("sendMessage") >= 3 }); err != nil {
		t.Fatal(err)
	}
	b.Kill9()
	b.API.Fail429(0, 0)
	b.Restart()
	msgs, err := b.API.WaitBotMessages(501, 8, wait)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.Logs)
	}
	want := []string{"before 1", "before 2", "queued 0", "queued 1", "queued 2", "queued 3", "queued 4"}
	for i, w := range want {
		if msgs[i+1].Text != w {
			t.Fatalf("message %d: %q, want %q", i+1, msgs[i+1].Text, w)
		}
	}
	// One more command and alert after the restart: if /start or anything
	// were handled or sent again, it would show up before these.
	b.API.Say(501, "/whoami")
	send(t, b, "petr", "after")
	msgs, err = b.API.WaitBotMessages(501, 10, wait)
	if err != nil {
		t.Fatal(err)
	}
	// The reply and the alert take separate paths (a reply is not queued):
	// either order.
	last := msgs[8].Text + "|" + msgs[9].Text
	if len(msgs) != 10 || !strings.Contains(last, "linked to <b>petr</b> since") || !strings.Contains(last, "|after") && !strings.HasPrefix(last, "after|") {
		for _, m := range msgs {
			t.Log(m.Text)
		}
		t.Fatalf("%d messages after the restart", len(msgs))
	}
}

// 403 (the user blocked the bot) unlinks the chat, logs it, and later
// sends answer 404.
func Test403Unlinks(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501, "jana": 502})
	b.API.OpenChat(501)
	b.API.OpenChat(502)
	b.API.Block(501)
	send(t, b, "petr", "to a blocked chat")
	send(t, b, "jana", "to jana")
	if _, err := b.API.WaitBotMessages(502, 1, wait); err != nil {
		t.Fatal(err)
	}
	store, _ := chatlinks.Open(b.DataDir)
	eventually(t, "petr unlinked after the 403", func() bool { _, ok, _ := store.Chat("petr"); return !ok })
	// The line is written just after the unlink, by the sender: wait for it.
	eventually(t, "the 403 logged", func() bool { return strings.Contains(b.Logs.String(), "blocked the bot") })
	if status, _ := post(t, b.Socket, "/send", `{"user":"petr","text":"x"}`); status != 404 {
		t.Fatalf("send after 403: %d", status)
	}
	if _, ok, _ := store.Chat("jana"); !ok {
		t.Fatal("jana unlinked too")
	}
}

// Markup Telegram cannot parse is sent as plain text, not dropped.
func TestUnparsableMarkupFallsBackToPlain(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501})
	b.API.OpenChat(501)
	send(t, b, "petr", "revenue_check failed") // an unclosed _ in Markdown
	m, err := b.API.WaitBotMessages(501, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	if m[0].Text != "revenue_check failed" || m[0].ParseMode != "" {
		t.Fatalf("%+v", m[0])
	}
}

// A missing or malformed token stops the start with a message naming the
// variable; a token the API refuses stops it too; no message repeats it.
func TestTokenErrors(t *testing.T) {
	bin := notifybottest.Binary(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "b.sock")
	for _, tc := range []struct {
		token, want string
		code        int
	}{
		{"", "TELEGRAM_BOT_TOKEN is required", 2},
		{"123:short", "TELEGRAM_BOT_TOKEN is malformed", 2},
	} {
		out, code := runBot(t, bin, "TELEGRAM_BOT_TOKEN="+tc.token, "DATA_DIR="+dir, "NOTIFY_BOT_SOCKET="+sock)
		if code != tc.code || !strings.Contains(out, tc.want) || (tc.token != "" && strings.Contains(out, "short")) {
			t.Errorf("token %q: exit %d, %s", tc.token, code, out)
		}
	}
	// A well-formed token the API does not know.
	api := notifybottest.Start(t, notifybottest.Options{})
	wrong := "4242424242:AAH7wrong-secret_PART_xxxxxxxxxxxxxxxxxx"
	out, code := runBot(t, bin, "TELEGRAM_BOT_TOKEN="+wrong, "TELEGRAM_API_URL="+api.APIURL, "DATA_DIR="+dir, "NOTIFY_BOT_SOCKET="+sock)
	if code != 1 || !strings.Contains(out, "refused TELEGRAM_BOT_TOKEN") || strings.Contains(out, "wrong-secret") {
		t.Errorf("refused token: exit %d, %s", code, out)
	}
}

// eventually polls cond (a file another process changes) until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", wait, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runBot(t *testing.T, bin string, env ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func send(t *testing.T, b *notifybottest.Bot, user, text string) {
	t.Helper()
	c := b.Client()
	defer c.Close()
	if err := c.Send(context.Background(), botclient.SendRequest{User: user, Text: text}); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

func post(t *testing.T, socket, path, body string) (int, []byte) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("http://bot"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

func pngFile(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		img.Set(x, x/2, color.RGBA{R: 200, A: 255})
	}
	p := filepath.Join(t.TempDir(), "chart.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// Webhook mode: the bot sets its webhook with a secret token, takes updates
// that carry it and refuses a request without it.
func TestWebhookMode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	b := start(t, nil, "TELEGRAM_WEBHOOK_URL=http://"+addr+"/telegram/webhook", "TELEGRAM_WEBHOOK_LISTEN="+addr)
	if err := b.API.Wait(wait, func(s *botapitest.Server) bool { return s.CallsLocked("setWebhook") == 1 }); err != nil {
		t.Fatal(err)
	}
	b.API.Say(910, "/start")
	m, err := b.API.WaitBotMessages(910, 1, wait)
	if err != nil || !strings.Contains(m[0].Text, "Your code") {
		t.Fatalf("reply over webhook: %v %v", m, err)
	}
	if n := b.API.Calls("getUpdates"); n != 0 {
		t.Fatalf("%d getUpdates calls in webhook mode", n)
	}
	resp, err := http.Post("http://"+addr+"/telegram/webhook", "application/json",
		strings.NewReader(`{"update_id":99,"message":{"message_id":1,"date":1,"chat":{"id":911,"type":"private"},"text":"/start"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an update without the secret: %d", resp.StatusCode)
	}
	if len(b.API.BotMessages(911)) != 0 {
		t.Fatal("a forged update was handled")
	}
}

// A second bot on the same socket stops at once, saying so, and the first
// keeps serving.
func TestSecondBotRefused(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501})
	env := append(append([]string{}, b.Env...), "TELEGRAM_API_URL="+b.APIURL)
	out, code := runBot(t, notifybottest.Binary(t), env...)
	if code != 1 || !strings.Contains(out, "another notify-bot") {
		t.Fatalf("second bot: exit %d, %s", code, out)
	}
	noToken(t, out)
	b.API.OpenChat(501)
	send(t, b, "petr", "still here")
	if _, err := b.API.WaitBotMessages(501, 1, wait); err != nil {
		t.Fatal(err)
	}
}

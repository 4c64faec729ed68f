package notifybot_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/keboola/analyst-alerts/webapp/telegram/notifybot"
)

func TestRedactingHandler(t *testing.T) {
	var buf bytes.Buffer
	secret := notifybot.Secret(token)
	log := slog.New(notifybot.Redacting(slog.NewJSONHandler(&buf, nil), secret)).With("url", "https://api/bot"+token+"/x")
	err := fmt.Errorf("wrapped: %w", errors.New("POST https://api.telegram.org/bot"+token+"/sendMessage failed"))
	log.Error("call to bot"+token+" failed", slog.Any("error", err), slog.Group("g", slog.String("t", token)),
		slog.Any("any", struct{ T string }{token}))
	out := buf.String()
	if strings.Contains(out, secret) || strings.Count(out, "<token>") != 5 {
		t.Fatalf("not redacted: %s", out)
	}
	if !strings.Contains(out, "4242424242:<token>") {
		t.Fatalf("the bot's public id should stay readable: %s", out)
	}
}

func TestCutUTF16(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 4, "abc…"},
		{"😀😀😀", 4, "😀…"}, // each emoji is two UTF-16 units
		{"😀😀", 4, "😀😀"},
	} {
		got := notifybot.CutUTF16(tc.in, tc.n)
		if got != tc.want || len(utf16.Encode([]rune(got))) > tc.n {
			t.Errorf("CutUTF16(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	base := []string{"TELEGRAM_BOT_TOKEN=" + token}
	c, err := notifybot.LoadConfig(base)
	if err != nil || c.APIURL != "https://api.telegram.org" || c.Socket != "/run/notify-bot/bot.sock" ||
		c.DataDir != "/data/notifications" || c.RatePerChat != 1 || c.RateGlobal != 30 || !c.HelperSudo || c.WebhookURL != "" ||
		c.SocketGroup != "" || c.TrustedGroup != "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = notifybot.LoadConfig(append(append([]string{}, base...), "NOTIFY_BOT_SOCKET_GROUP= ws-dispatch ", "NOTIFY_BOT_TRUSTED_GROUP=data-ops"))
	if err != nil || c.SocketGroup != "ws-dispatch" || c.TrustedGroup != "data-ops" {
		t.Fatalf("groups: %+v %v", c, err)
	}
	for _, tc := range []struct {
		env  string
		want string
	}{
		{"TELEGRAM_BOT_TOKEN=", "TELEGRAM_BOT_TOKEN is required"},
		{"TELEGRAM_BOT_TOKEN=abc", "TELEGRAM_BOT_TOKEN is malformed"},
		{"TELEGRAM_API_URL=ftp://x", "TELEGRAM_API_URL"},
		{"TELEGRAM_WEBHOOK_URL=http://x.example/hook", "TELEGRAM_WEBHOOK_URL"},
		{"NOTIFY_BOT_SOCKET=relative.sock", "NOTIFY_BOT_SOCKET"},
		{"DATA_DIR=data", "DATA_DIR"},
		{"NOTIFY_BOT_RATE_PER_CHAT=0", "NOTIFY_BOT_RATE_PER_CHAT"},
		{"NOTIFY_BOT_RATE_GLOBAL=fast", "NOTIFY_BOT_RATE_GLOBAL"},
		{"NOTIFY_SCRIPTS_RUN_AS=root", "NOTIFY_SCRIPTS_RUN_AS"},
		{"LOG_LEVEL=loud", "LOG_LEVEL"},
	} {
		_, err := notifybot.LoadConfig(append(append([]string{}, base...), tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), notifybot.Secret(token)) {
			t.Errorf("%s: %v", tc.env, err)
		}
	}
}

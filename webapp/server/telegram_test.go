package server_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/server"
	"github.com/keboola/analyst-alerts/webapp/telegram/notifybottest"
)

// The webapp and the real notify-bot process share DATA_DIR, as in
// production; the bot talks to the stand-in Bot API.
func newTelegramEnv(t *testing.T) (*env, *notifybottest.Bot) {
	bot := notifybottest.Start(t, notifybottest.Options{})
	e := newEnv(t, envOpts{dataDir: bot.DataDir, bot: bot.Socket})
	return e, bot
}

func tgStatus(t *testing.T, e *env, c *http.Client) server.TelegramStatus {
	t.Helper()
	var st server.TelegramStatus
	a := e.do(c, http.MethodGet, server.PathTelegramStatus, "")
	if a.status != 200 {
		t.Fatalf("status: %d %s", a.status, a.body)
	}
	a.json(t, &st)
	return st
}

func alert(t *testing.T, bot *notifybottest.Bot, user, text string) error {
	t.Helper()
	c := bot.Client()
	defer c.Close()
	return c.Send(context.Background(), botclient.SendRequest{User: user, Text: text})
}

// The old bot's flow: /start in Telegram, the code typed in the dashboard.
func TestTelegramCodeFlow(t *testing.T) {
	e, bot := newTelegramEnv(t)
	e.do(nil, http.MethodGet, server.PathTelegramStatus, "").errorBody(t, 401, "unauthorized")
	c := e.signIn("petr@example.com")
	if st := tgStatus(t, e, c); st.Linked || st.LinkedAt != nil {
		t.Fatalf("fresh user: %+v", st)
	}
	bot.API.Say(601, "/start")
	msgs, err := bot.API.WaitBotMessages(601, 1, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`<code>(\d{6})</code>`).FindStringSubmatch(msgs[0].Text)[1]
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	e.do(c, http.MethodPost, server.PathTelegramVerify, `{"code":"`+wrong+`"}`).errorBody(t, 400, "bad_request")
	e.do(c, http.MethodPost, server.PathTelegramVerify, `{}`).errorBody(t, 400, "bad_request")
	e.do(c, http.MethodPost, server.PathTelegramVerify, `not json`).errorBody(t, 400, "bad_request")
	// A cross-site page cannot link the user's account to its chat.
	if a := e.do(c, http.MethodPost, server.PathTelegramVerify, `{"code":"`+code+`"}`, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); a.status != 403 {
		t.Fatalf("cross-site verify: %d", a.status)
	}
	before := time.Now().Add(-time.Second)
	a := e.do(c, http.MethodPost, server.PathTelegramVerify, `{"code":"`+code+`"}`)
	var st server.TelegramStatus
	a.json(t, &st)
	if a.status != 200 || !st.Linked || st.LinkedAt == nil || st.LinkedAt.Before(before) {
		t.Fatalf("verify: %d %s", a.status, a.body)
	}
	if err := alert(t, bot, "petr", "first alert"); err != nil {
		t.Fatal(err)
	}
	if m, err := bot.API.WaitBotMessages(601, 2, 20*time.Second); err != nil || m[1].Text != "first alert" {
		t.Fatalf("alert after verify: %v", err)
	}
	// The code was used up.
	e.do(e.signIn("jana@example.com"), http.MethodPost, server.PathTelegramVerify, `{"code":"`+code+`"}`).errorBody(t, 400, "bad_request")
	// The dashboard shows the card, linked.
	page := string(e.do(c, http.MethodGet, "/dashboard", "").body)
	if !strings.Contains(page, `id="telegram-card"`) || !regexp.MustCompile(`id="tg-badge">Linked<`).MatchString(page) {
		t.Fatalf("dashboard card:\n%s", page)
	}

	// Unlink from the dashboard: alerts are refused as not linked.
	e.do(c, http.MethodPost, server.PathTelegramUnlink, "").json(t, &struct{}{})
	if st := tgStatus(t, e, c); st.Linked {
		t.Fatal("still linked")
	}
	var se *botclient.StatusError
	if err := alert(t, bot, "petr", "x"); err == nil || !errors.As(err, &se) || se.Status != 404 {
		t.Fatalf("alert after unlink: %v", err)
	}
	e.do(c, http.MethodPost, server.PathTelegramUnlink, "").errorBody(t, 400, "bad_request")
}

// Guessing codes is cut off after a few wrong ones.
func TestTelegramVerifyLimit(t *testing.T) {
	e, _ := newTelegramEnv(t)
	c := e.signIn("petr@example.com")
	for i := range 5 {
		e.do(c, http.MethodPost, server.PathTelegramVerify, `{"code":"12345`+string(rune('0'+i))+`"}`).errorBody(t, 400, "bad_request")
	}
	e.do(c, http.MethodPost, server.PathTelegramVerify, `{"code":"999999"}`).errorBody(t, 429, "too_many_attempts")
	// Another user is not affected.
	e.do(e.signIn("jana@example.com"), http.MethodPost, server.PathTelegramVerify, `{"code":"999999"}`).errorBody(t, 400, "bad_request")
}

// One click: the portal's link opens the bot with a code; /start <code> in
// a private chat links; the same link again, or from a group, does not.
func TestTelegramOneClick(t *testing.T) {
	e, bot := newTelegramEnv(t)
	c := e.signIn("petr@example.com")
	var lr server.TelegramLinkResponse
	a := e.do(c, http.MethodPost, server.PathTelegramLink, "")
	a.json(t, &lr)
	prefix := bot.APIURL + "/" + notifybottest.BotUsername + "?start="
	if a.status != 200 || !strings.HasPrefix(lr.URL, prefix) || time.Until(lr.ExpiresAt) > 10*time.Minute || time.Until(lr.ExpiresAt) < 9*time.Minute {
		t.Fatalf("link: %d %s", a.status, a.body)
	}
	code := strings.TrimPrefix(lr.URL, prefix)
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`).MatchString(code) {
		t.Fatalf("code %q", code)
	}
	bot.API.SayInGroup(-77, "/start "+code)
	bot.API.Say(602, "/start "+code+"x")
	bot.API.Say(602, "/start "+code)
	bot.API.Say(603, "/start "+code)
	m, err := bot.API.WaitBotMessages(602, 2, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m[0].Text, "not valid") || !strings.Contains(m[1].Text, "Linked") {
		t.Fatalf("replies: %q %q", m[0].Text, m[1].Text)
	}
	if m, err := bot.API.WaitBotMessages(603, 1, 20*time.Second); err != nil || !strings.Contains(m[0].Text, "not valid") {
		t.Fatalf("reused: %v", err)
	}
	if m, err := bot.API.WaitBotMessages(-77, 1, 20*time.Second); err != nil || !strings.Contains(m[0].Text, "private chat") {
		t.Fatalf("group: %v", err)
	}
	if st := tgStatus(t, e, c); !st.Linked {
		t.Fatal("not linked")
	}
	if err := alert(t, bot, "petr", "hello"); err != nil {
		t.Fatal(err)
	}
	if m, err := bot.API.WaitBotMessages(602, 3, 20*time.Second); err != nil || m[2].Text != "hello" {
		t.Fatalf("alert: %v", err)
	}
	// /unlink in the chat shows on the dashboard.
	bot.API.Say(602, "/unlink")
	if _, err := bot.API.WaitBotMessages(602, 4, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := tgStatus(t, e, c); st.Linked {
		t.Fatal("still linked after /unlink")
	}
}

// With no bot running, Link says so instead of handing out a dead link.
func TestTelegramLinkWithoutBot(t *testing.T) {
	e := newEnv(t, envOpts{bot: "/nonexistent/bot.sock"})
	c := e.signIn("petr@example.com")
	msg := e.do(c, http.MethodPost, server.PathTelegramLink, "").errorBody(t, 503, "unavailable")
	if !strings.Contains(msg, "Telegram bot is not running") {
		t.Fatalf("message: %q", msg)
	}
}

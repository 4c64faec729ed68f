package main

import (
	"strings"
	"testing"
	"time"
)

// The Snooze 1 h button and /snooze, /unsnooze go through the real
// notify-scripts helper as the user: the snooze lands in the user's own
// settings where the runner reads it, /scripts shows it with an Unsnooze
// button, and bad input is refused in the chat with nothing changed.
func TestSnoozeButtonAndCommands(t *testing.T) {
	home, scriptsEnv := petrScripts(t, map[string]string{"revenue_check.py": "print('{\"notify\": false}')\n"})
	b := start(t, map[string]int64{"petr": 501}, append(scriptsEnv, "NOTIFY_BOT_RATE_PER_CHAT=20")...)

	n := 0
	next := func() string {
		t.Helper()
		n++
		msgs, err := b.API.WaitBotMessages(501, n, wait)
		if err != nil {
			t.Fatal(err)
		}
		return msgs[n-1].Text
	}
	b.API.Say(501, "/scripts")
	next()
	list := b.API.BotMessages(501)[0]
	if len(list.Buttons) != 1 || len(list.Buttons[0]) != 2 || list.Buttons[0][1].Text != "Snooze 1 h" || list.Buttons[0][1].Data != "snooze:revenue_check:1h" {
		t.Fatalf("/scripts buttons: %+v", list.Buttons)
	}
	before := time.Now()
	if err := b.API.Press(501, list.ID, "snooze:revenue_check:1h"); err != nil {
		t.Fatal(err)
	}
	if r := next(); !strings.HasPrefix(r, "Snoozed <code>revenue_check</code> until ") {
		t.Fatalf("snooze reply: %q", r)
	}
	s, err := home.LoadSettings()
	if until := s.Snoozed["revenue_check"]; err != nil || until.Before(before.Add(time.Hour).Truncate(time.Second)) || until.After(time.Now().Add(time.Hour)) {
		t.Fatalf("settings after the button: %+v %v", s, err)
	}

	b.API.Say(501, "/scripts")
	if r := next(); !strings.Contains(r, "<code>revenue_check</code>: never run, snoozed until ") {
		t.Fatalf("/scripts while snoozed: %q", r)
	}
	list = b.API.BotMessages(501)[n-1]
	if list.Buttons[0][1].Data != "unsnooze:revenue_check" {
		t.Fatalf("buttons while snoozed: %+v", list.Buttons)
	}
	if err := b.API.Press(501, list.ID, "unsnooze:revenue_check"); err != nil {
		t.Fatal(err)
	}
	if r := next(); r != "<code>revenue_check</code> is no longer snoozed." {
		t.Fatalf("unsnooze reply: %q", r)
	}
	if s, err := home.LoadSettings(); err != nil || len(s.Snoozed) != 0 {
		t.Fatalf("settings after unsnooze: %+v %v", s, err)
	}

	for _, c := range []struct{ say, want string }{
		{"/snooze revenue_check soon", `Not snoozed: snooze &#34;soon&#34;: give a duration`},
		{"/snooze nope 1h", `Not snoozed: no script &#34;nope.py&#34;`},
		{"/snooze ../etc/passwd 1h", "Not snoozed: "},
		{"/snooze revenue_check 2020-01-01T00:00:00Z", "that time has passed"},
		{"/snooze revenue_check", "Snooze which script, for how long?"},
		{"/snooze <b>x</b> 1h", "Not snoozed: "},
	} {
		b.API.Say(501, c.say)
		if r := next(); !strings.Contains(r, c.want) {
			t.Errorf("%s: %q, want %q", c.say, r, c.want)
		}
		if s, err := home.LoadSettings(); err != nil || len(s.Snoozed) != 0 {
			t.Fatalf("%s changed the settings: %+v %v", c.say, s, err)
		}
	}
	b.API.Say(501, "/snooze revenue_check 30m")
	if r := next(); !strings.HasPrefix(r, "Snoozed <code>revenue_check</code>") {
		t.Fatalf("/snooze: %q", r)
	}
}

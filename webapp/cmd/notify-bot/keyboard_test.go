package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
)

// An alert's one keyboard row carries both halves of issue 14: Acknowledge
// (it has an id) and then Snooze 1 h (it names its script). Each is left
// out alone when it has nothing to act on or its callback data would pass
// Telegram's 64 bytes. Pressing Snooze on the alert goes past the
// Acknowledge branch to the helper as the chat's user; pressing
// Acknowledge then acknowledges and edits the message.
func TestAlertKeyboardHasAcknowledgeAndSnooze(t *testing.T) {
	home, scriptsEnv := petrScripts(t, map[string]string{"revenue_check.py": "print('{\"notify\": false}')\n"})
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	b := start(t, map[string]int64{"petr": 501},
		append(scriptsEnv, "WS_DISPATCH_SOCKET="+gw.Socket, "NOTIFY_BOT_ACK_POLL_SECONDS=0.2", "NOTIFY_BOT_RATE_PER_CHAT=20")...)
	b.API.OpenChat(501)
	ctx := context.Background()
	gc := gw.Client()
	defer gc.Close()
	longID := strings.Repeat("i", 61) // ack: + 61 bytes > 64
	for _, id := range []string{"n1", longID} {
		if _, err := gc.Dispatch(ctx, "petr", protocol.Notification{ID: id, Title: id}); err != nil {
			t.Fatal(err)
		}
	}
	bc := b.Client()
	defer bc.Close()
	longScript := strings.Repeat("s", 55) // snooze: + 55 + :1h > 64
	for _, r := range []botclient.SendRequest{
		{User: "petr", Text: "both", ID: "n1", Script: "revenue_check"},
		{User: "petr", Text: "script only", Script: "revenue_check"},
		{User: "petr", Text: "long id", ID: longID, Script: "revenue_check"},
		{User: "petr", Text: "long script", ID: "n1", Script: longScript},
	} {
		if err := bc.Send(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := b.API.WaitBotMessages(501, 4, wait)
	if err != nil {
		t.Fatal(err)
	}
	row := func(m botapitest.Message) string {
		var s []string
		for _, r := range m.Buttons {
			for _, b := range r {
				s = append(s, b.Text+"="+b.Data)
			}
		}
		return strings.Join(s, " | ")
	}
	for i, want := range []string{
		"Acknowledge=ack:n1 | Snooze 1 h=snooze:revenue_check:1h",
		"Snooze 1 h=snooze:revenue_check:1h",
		"Snooze 1 h=snooze:revenue_check:1h",
		"Acknowledge=ack:n1",
	} {
		if got := row(msgs[i]); got != want || len(msgs[i].Buttons) > 1 {
			t.Errorf("%q: buttons %q (%d rows), want %q in one row", msgs[i].Text, got, len(msgs[i].Buttons), want)
		}
	}

	before := time.Now()
	if err := b.API.Press(501, msgs[0].ID, "snooze:revenue_check:1h"); err != nil {
		t.Fatal(err)
	}
	replies, err := b.API.WaitBotMessages(501, 5, wait)
	if err != nil {
		t.Fatal(err)
	}
	if r := replies[4].Text; !strings.HasPrefix(r, "Snoozed <code>revenue_check</code> until ") {
		t.Fatalf("snooze reply: %q", r)
	}
	s, err := home.LoadSettings()
	if until := s.Snoozed["revenue_check"]; err != nil || until.Before(before.Add(time.Hour).Truncate(time.Second)) {
		t.Fatalf("settings after the alert's Snooze: %+v %v", s, err)
	}

	if err := b.API.Press(501, msgs[0].ID, "ack:n1"); err != nil {
		t.Fatal(err)
	}
	if m := waitEdited(t, b.API, 501, msgs[0].ID); !strings.HasSuffix(m.Text, " via Telegram") {
		t.Fatalf("edited: %+v", m)
	}
	if st, err := gc.Notification(ctx, "petr", "n1"); err != nil || !st.Acked() {
		t.Fatalf("n1 after Acknowledge: %+v %v", st, err)
	}
}

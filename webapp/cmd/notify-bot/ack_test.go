package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
)

// waitEdited waits until the bot has edited its message msgID in chat and
// returns it.
func waitEdited(t *testing.T, api *botapitest.Server, chat int64, msgID int) botapitest.Message {
	t.Helper()
	var got botapitest.Message
	err := api.Wait(wait, func(s *botapitest.Server) bool {
		for _, m := range s.ChatLocked(chat).Messages {
			if m.ID == msgID && m.Edits > 0 {
				got = m
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("message %d in chat %d not edited: %v", msgID, chat, err)
	}
	return got
}

// Alerts sent with an id carry Acknowledge; pressing it acknowledges for
// the chat's linked user and the message is edited to say so; an
// acknowledgement from the desktop app edits the message the same way; a
// chat cannot acknowledge an alert of another user; a message sent
// without an id has no button (old callers keep working).
func TestAcknowledgeButtonAndEdits(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	b := start(t, map[string]int64{"petr": 501, "jana": 502},
		"WS_DISPATCH_SOCKET="+gw.Socket, "NOTIFY_BOT_ACK_POLL_SECONDS=0.2", "NOTIFY_BOT_RATE_PER_CHAT=20")
	b.API.OpenChat(501)
	b.API.OpenChat(502)
	ctx := context.Background()
	gc := gw.Client()
	defer gc.Close()
	bc := b.Client()
	defer bc.Close()
	for _, id := range []string{"n1", "n2", "n3"} {
		if _, err := gc.Dispatch(ctx, "petr", protocol.Notification{ID: id, Title: id}); err != nil {
			t.Fatal(err)
		}
	}
	send := func(user, id, text string) {
		t.Helper()
		if err := bc.Send(ctx, botclient.SendRequest{User: user, Text: text, ParseMode: botclient.ParseModeHTML, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	send("petr", "n1", "<b>Revenue &lt;dropped&gt;</b>")
	send("petr", "n2", "<b>Disk</b> full")
	send("petr", "", "no id")
	send("jana", "n3", "jana's chat, petr's id") // root may send anything to anyone
	msgs, err := b.API.WaitBotMessages(501, 3, wait)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs[0].Buttons) != 1 || msgs[0].Buttons[0][0].Data != "ack:n1" || msgs[0].Buttons[0][0].Text != "Acknowledge" {
		t.Fatalf("alert buttons: %+v", msgs[0].Buttons)
	}
	if len(msgs[2].Buttons) != 0 {
		t.Fatalf("a message without id has buttons: %+v", msgs[2].Buttons)
	}

	// Pressed in Telegram.
	if err := b.API.Press(501, msgs[0].ID, "ack:n1"); err != nil {
		t.Fatal(err)
	}
	m := waitEdited(t, b.API, 501, msgs[0].ID)
	if !strings.HasPrefix(m.Text, "<b>Revenue &lt;dropped&gt;</b>\n\n✅ Acknowledged ") || !strings.HasSuffix(m.Text, " via Telegram") ||
		len(m.Buttons) != 0 || m.ParseMode != "HTML" {
		t.Fatalf("edited: %+v", m)
	}
	st, err := gc.Notification(ctx, "petr", "n1")
	if err != nil || !st.Acked() || *st.AckedVia != protocol.ViaTelegram {
		t.Fatalf("gateway state: %+v %v", st, err)
	}
	if err := b.API.Wait(wait, func(s *botapitest.Server) bool {
		a := s.ChatLocked(501).Answers
		return len(a) == 1 && a[0] == "Acknowledged."
	}); err != nil {
		t.Fatal("callback answer:", err)
	}

	// Acknowledged on the desktop: the bot learns of it and edits.
	ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")})
	var ok protocol.AuthOK
	if err := ws.ReadJSON(&ok); err != nil {
		t.Fatal(err)
	}
	ws.WriteJSON(protocol.AckFrame{Type: protocol.TypeAck, ID: "n2"})
	m = waitEdited(t, b.API, 501, msgs[1].ID)
	if !strings.HasSuffix(m.Text, " via the desktop app") || len(m.Buttons) != 0 {
		t.Fatalf("edited after the desktop ack: %+v", m)
	}

	// jana's chat holds a button naming petr's alert: pressing it finds
	// nothing in jana's history and acknowledges nothing.
	jm, err := b.API.WaitBotMessages(502, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.API.Press(502, jm[0].ID, "ack:n3"); err != nil {
		t.Fatal(err)
	}
	if err := b.API.Wait(wait, func(s *botapitest.Server) bool { return len(s.ChatLocked(502).Answers) == 1 }); err != nil {
		t.Fatal(err)
	}
	if a := b.API.BotMessages(502); len(a) != 1 || a[0].Edits != 0 {
		t.Fatalf("jana's message: %+v", a)
	}
	if st, err := gc.Notification(ctx, "petr", "n3"); err != nil || st.Acked() {
		t.Fatalf("petr's n3 after jana's press: %+v %v", st, err)
	}
}

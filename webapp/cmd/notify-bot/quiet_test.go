package main

import (
	"context"
	"testing"

	"github.com/keboola/analyst-alerts/webapp/botclient"
)

// Quiet hours: disable_notification on /send and /send_photo reaches
// Telegram (the phone shows the message without a sound); without it, and
// from an old caller that never sends it, messages notify as before.
func TestDisableNotificationReachesTelegram(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501})
	c := b.Client()
	defer c.Close()
	ctx := context.Background()
	b.API.OpenChat(501)
	if err := c.Send(ctx, botclient.SendRequest{User: "petr", Text: "quiet", DisableNotification: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.SendPhoto(ctx, botclient.SendPhotoRequest{User: "petr", PhotoPath: pngFile(t), Caption: "quiet chart", DisableNotification: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, botclient.SendRequest{User: "petr", Text: "loud"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := b.API.WaitBotMessages(501, 3, wait)
	if err != nil {
		t.Fatal(err)
	}
	if !msgs[0].Silent || msgs[0].Text != "quiet" || !msgs[1].Silent || msgs[1].Photo == nil || msgs[2].Silent {
		t.Fatalf("%+v", msgs)
	}
}

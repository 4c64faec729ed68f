package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
)

// followAlerts dispatches n alerts to petr, has the bot (behind the proxy
// p) send each with its Acknowledge button to chat 501, and returns their
// message ids by alert id.
func followAlerts(t *testing.T, gw *gatewaytest.Gateway, p *gatewaytest.Proxy, n int) (map[string]int, func(id string)) {
	t.Helper()
	b := start(t, map[string]int64{"petr": 501},
		"WS_DISPATCH_SOCKET="+p.Socket, "NOTIFY_BOT_ACK_POLL_SECONDS=0.1", "NOTIFY_BOT_RATE_PER_CHAT=1000")
	b.API.OpenChat(501)
	ctx := context.Background()
	gc := gw.Client()
	t.Cleanup(gc.Close)
	bc := b.Client()
	defer bc.Close()
	for i := range n {
		id := fmt.Sprint("n", i)
		if _, err := gc.Dispatch(ctx, "petr", protocol.Notification{ID: id, Title: id}); err != nil {
			t.Fatal(err)
		}
		if err := bc.Send(ctx, botclient.SendRequest{User: "petr", Text: id, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := b.API.WaitBotMessages(501, n, wait)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for _, m := range msgs {
		byID[m.Text] = m.ID
	}
	ackAndWait := func(id string) {
		t.Helper()
		if _, err := gc.Ack(ctx, "petr", id, protocol.ViaWeb); err != nil {
			t.Fatal(err)
		}
		if m := waitEdited(t, b.API, 501, byID[id]); !strings.HasSuffix(m.Text, " via the portal") || len(m.Buttons) != 0 {
			t.Fatalf("edited: %+v", m)
		}
	}
	return byID, ackAndWait
}

// waitRequests waits until the proxy has seen at least n requests of
// method to path.
func waitRequests(t *testing.T, p *gatewaytest.Proxy, method, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for p.Requests(method, path) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests %s %s, want %d", p.Requests(method, path), method, path, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The bot asks the gateway about every alert it follows in one request per
// poll, not one per alert: with 40 open alerts, rounds of POST
// /notifications/acks and not a single GET /notification; an
// acknowledgement from the portal still edits the message.
func TestAckPollIsOneRequestPerRound(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	p := gatewaytest.StartProxy(t, gw)
	_, ackAndWait := followAlerts(t, gw, p, 40)
	ackAndWait("n7")
	waitRequests(t, p, "POST", protocol.PathNotificationAcks, 5)
	if n := p.Requests("GET", protocol.PathNotification); n != 0 {
		t.Fatalf("%d GET /notification beside %d batched polls", n, p.Requests("POST", protocol.PathNotificationAcks))
	}
}

// A gateway older than POST /notifications/acks answers it 404: the bot
// asks GET /notification about each alert instead, and an acknowledgement
// is still seen.
func TestAckPollFallsBackForAnOlderGateway(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	p := gatewaytest.StartProxy(t, gw, protocol.PathNotificationAcks)
	_, ackAndWait := followAlerts(t, gw, p, 3)
	ackAndWait("n1")
	waitRequests(t, p, "POST", protocol.PathNotificationAcks, 1)
	waitRequests(t, p, "GET", protocol.PathNotification, 3)
}

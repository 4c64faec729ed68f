package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/telegram/notifybottest"
)

// scrape reads the bot's GET /metrics and returns each sample's value by
// its name with labels as Prometheus' text format writes it
// (`notify_bot_deliveries_total{result="sent"}`).
func scrape(t *testing.T, b *notifybottest.Bot) map[string]float64 {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", b.Socket)
		}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("http://bot" + botclient.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

func wantSample(t *testing.T, samples map[string]float64, name string, want float64) {
	t.Helper()
	if got, ok := samples[name]; !ok || got != want {
		t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
	}
}

// What an operator alerts on is counted: accepted and refused requests,
// deliveries by result, Telegram's 429s, the outbox's length, the linked
// users, and the time from accept to Telegram.
func TestMetricsCountDeliveriesRefusalsAnd429s(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501, "jana": 502, "eva": 503}, "NOTIFY_BOT_RATE_PER_CHAT=50")
	for _, chat := range []int64{501, 502, 503} {
		b.API.OpenChat(chat)
	}
	s := scrape(t, b)
	wantSample(t, s, `notify_bot_deliveries_total{result="sent"}`, 0)
	wantSample(t, s, `notify_bot_linked_users`, 3)

	b.API.Fail429(2, 1)
	for i := range 3 {
		send(t, b, "petr", fmt.Sprintf("alert %d", i))
	}
	if _, err := b.API.WaitBotMessages(501, 3, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	c := b.Client()
	defer c.Close()
	if err := c.SendPhoto(context.Background(), botclient.SendPhotoRequest{User: "jana", PhotoPath: pngFile(t)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.API.WaitBotMessages(502, 1, wait); err != nil {
		t.Fatal(err)
	}
	b.API.Block(503)
	send(t, b, "eva", "to a chat that blocked the bot")
	post(t, b.Socket, "/send", `{"user":"nobody","text":"x"}`)
	post(t, b.Socket, "/send", `not json`)
	post(t, b.Socket, "/send", `{"user":"petr"}`)

	eventually(t, "the blocked delivery counted", func() bool {
		return scrape(t, b)[`notify_bot_deliveries_total{result="blocked"}`] == 1
	})
	s = scrape(t, b)
	wantSample(t, s, `notify_bot_accepted_total{kind="text"}`, 4)
	wantSample(t, s, `notify_bot_accepted_total{kind="photo"}`, 1)
	wantSample(t, s, `notify_bot_deliveries_total{result="sent"}`, 4)
	wantSample(t, s, `notify_bot_deliveries_total{result="failed"}`, 0)
	wantSample(t, s, `notify_bot_rate_limited_total`, 2)
	wantSample(t, s, `notify_bot_refused_total{code="not_linked"}`, 1)
	wantSample(t, s, `notify_bot_refused_total{code="bad_request"}`, 2)
	wantSample(t, s, `notify_bot_delivery_seconds_count`, 4)
	wantSample(t, s, `notify_bot_outbox_messages`, 0)
	wantSample(t, s, `notify_bot_linked_users`, 2) // eva was unlinked by the 403
	// The two 429s made the first message wait at least a second each.
	if s[`notify_bot_delivery_seconds_sum`] < 2 {
		t.Errorf("delivery seconds sum %v, want at least the 2 s of retry_after", s[`notify_bot_delivery_seconds_sum`])
	}
	if _, ok := s["process_resident_memory_bytes"]; !ok {
		t.Error("no process metrics")
	}
}

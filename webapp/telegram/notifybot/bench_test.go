package notifybot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
	"github.com/keboola/analyst-alerts/webapp/telegram/notifybot"
	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

const token = "4242424242:AAH7bench-secret_PART_xxxxxxxxxxxxxxxxxx"

// BenchmarkSocketToStandIn: alerts posted to the bot socket by 8 concurrent
// dispatchers for 16 users, until the stand-in Bot API has every one. The
// limits are raised (Telegram's 30/s would make this a benchmark of the
// limiter): the figure is what the bot itself can carry. msgs/s counts
// from the first post to the last delivery.
func BenchmarkSocketToStandIn(b *testing.B) {
	const users = 16
	api := botapitest.New(token, "bench_bot")
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	dir := b.TempDir()
	sockDir, _ := os.MkdirTemp("", "botbench")
	defer os.RemoveAll(sockDir)
	store, _ := chatlinks.Open(dir)
	for i := range users {
		api.OpenChat(int64(1000 + i))
		code, _, _ := store.NewLinkCode(fmt.Sprintf("u%d", i))
		if _, err := store.RedeemLinkCode(code, int64(1000+i)); err != nil {
			b.Fatal(err)
		}
	}
	cfg, err := notifybot.LoadConfig([]string{"TELEGRAM_BOT_TOKEN=" + token, "TELEGRAM_API_URL=" + srv.URL,
		"DATA_DIR=" + dir, "NOTIFY_BOT_SOCKET=" + filepath.Join(sockDir, "bot.sock"),
		"NOTIFY_BOT_RATE_PER_CHAT=100000", "NOTIFY_BOT_RATE_GLOBAL=100000"})
	if err != nil {
		b.Fatal(err)
	}
	bot, err := notifybot.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = bot.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	c := botclient.New(cfg.Socket)
	defer c.Close()

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := c.Send(ctx, botclient.SendRequest{User: fmt.Sprintf("u%d", i%users), Text: fmt.Sprintf("alert %d", i),
					ParseMode: botclient.ParseModeHTML}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	err = api.Wait(time.Minute, func(s *botapitest.Server) bool { return s.CallsLocked("sendMessage") >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// BenchmarkOutboxPut: the cost of making one message durable (a bbolt
// commit, fsynced) and removing it after delivery, one dispatcher at a
// time and with 16 at once (their commits are batched).
func BenchmarkOutboxPut(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("dispatchers=%d", par), func(b *testing.B) {
			box, err := outbox.Open(filepath.Join(b.TempDir(), "outbox.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer box.Close()
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m := &outbox.Message{ChatID: 1, User: "u", Text: "Revenue down 12% since last week", ParseMode: "HTML"}
					if err := box.Put(m); err != nil {
						b.Error(err)
						return
					}
					if err := box.Done(m.Seq); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

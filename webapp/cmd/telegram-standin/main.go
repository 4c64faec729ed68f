// Command telegram-standin serves the stand-in Bot API
// (webapp/telegram/botapitest) for development and browser tests: notify-bot
// pointed at it with TELEGRAM_API_URL works as against Telegram, and its page
// (the address it prints) shows each chat and lets a developer type or press
// a button as the Telegram user. Loopback only; never for production.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/keboola/analyst-alerts/internal/envmap"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
)

// DevToken is the token `make run` gives both the stand-in and notify-bot.
const DevToken = "1000000001:DEV-standin-token_not-a-secret-000000"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, environ []string, stdout, stderr io.Writer) int {
	env := envmap.Parse(environ)
	get := func(k, def string) string {
		if v := env[k]; v != "" {
			return v
		}
		return def
	}
	addr := get("TELEGRAM_STANDIN_ADDR", "127.0.0.1:8081")
	token := get("TELEGRAM_BOT_TOKEN", DevToken)
	name := get("TELEGRAM_STANDIN_BOT", "alerts_dev_bot")
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(stderr, "telegram-standin: TELEGRAM_STANDIN_ADDR %q must be a loopback address and port\n", addr)
		return 2
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(stderr, "telegram-standin:", err)
		return 1
	}
	api := botapitest.New(token, name)
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "stand-in Bot API for @%s at http://%s (TELEGRAM_API_URL); chats at http://%s/\n", name, ln.Addr(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintln(stderr, "telegram-standin:", err)
		return 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(stderr, "telegram-standin:", err)
	}
	return 0
}

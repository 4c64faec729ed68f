// Command notify-bot is the Telegram bot behind the bot socket: it delivers
// the alerts dispatchers post to NOTIFY_BOT_SOCKET to each user's linked
// chat, links chats to users, and answers the users' commands. Its settings
// are environment variables (docs/telegram.md); it takes no arguments.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/keboola/analyst-alerts/webapp/telegram/notifybot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args, environ []string, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: notify-bot (no arguments; settings come from the environment, see docs/telegram.md)")
		return 2
	}
	cfg, err := notifybot.LoadConfig(environ)
	if err != nil {
		fmt.Fprintln(stderr, "notify-bot:", err)
		return 2
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(notifybot.Redacting(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}), notifybot.Secret(cfg.Token)))
	slog.SetDefault(log)
	b, err := notifybot.New(cfg, log)
	if err != nil {
		log.Error("notify-bot cannot start", slog.Any("error", err))
		return 1
	}
	if err := b.Run(ctx); err != nil {
		return 1
	}
	return 0
}

// Command notify-runner runs every notification script of the user it runs
// as (from cron, e.g. every 5 minutes), applies cooldowns and delivers the
// alerts to the Telegram bot socket and the gateway in parallel. See usage
// and docs/notify-tools.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

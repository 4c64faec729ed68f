// Command notify-scripts lists and runs one user's notification scripts. The
// webapp (and the Telegram bot) start it as that user through sudo, so they
// never read the user's 0750 home themselves:
//
//	sudo -n -u USER notify-scripts list
//	sudo -n -u USER notify-scripts run NAME.py
//
// It prints JSON on stdout, an {"error","code"} object on failure, and exits
// with a documented code (see usage).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keboola/analyst-alerts/webapp/notifyconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr, notifyconfig.Load)
	stop()
	os.Exit(code)
}

// Command webapp is the Analyst Alerts web portal. main only reads the
// configuration from the environment (webapp/config lists every variable)
// and runs the server as webapp/server wires it (server.Wire, New, Serve:
// the same code webapptest runs in the tests).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/keboola/analyst-alerts/internal/logsetup"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/server"
)

func main() {
	os.Exit(run(os.Environ(), os.Stderr))
}

func run(environ []string, stderr io.Writer) int {
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintln(stderr, "webapp: configuration:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)

	deps, err := server.Wire(cfg, log)
	if err != nil {
		log.Error("cannot start", slog.Any("error", err))
		return 1
	}
	srv, err := server.New(deps)
	if err != nil {
		log.Error("cannot start", slog.Any("error", err))
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("cannot listen", slog.String("addr", cfg.Addr), slog.Any("error", err))
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Serve(ctx, ln, server.RevocationSyncEvery); err != nil {
		log.Error("webapp stopped", slog.Any("error", err))
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	return logsetup.New(w, cfg.LogFormat, cfg.LogLevel)
}

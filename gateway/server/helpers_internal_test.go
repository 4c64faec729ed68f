package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/config"
)

// serveGateway starts a real gateway for an internal test (one that looks
// at the Gateway's own fields): loopback port, its own socket and state
// folder, and a shutdown when the test ends.
func serveGateway(t *testing.T) *Gateway {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Port, cfg.Host = 0, "127.0.0.1"
	cfg.DispatchSocket = filepath.Join(dir, "ws.sock")
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Secret = []byte("test-secret-0123456789abcdef0123456789abcdef")
	g, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve() }()
	t.Cleanup(func() { g.Shutdown(context.Background()); <-served })
	return g
}

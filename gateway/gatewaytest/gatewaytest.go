// Package gatewaytest runs a real, in-process gateway for other packages'
// tests: real TCP WebSockets on loopback, a real unix dispatch socket, a
// real history database in a temporary folder.
package gatewaytest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/server"
	"github.com/keboola/analyst-alerts/internal/logsetup"
)

// Options change the gateway's defaults; zero values keep them.
type Options struct {
	Heartbeat    time.Duration
	MaxMissed    int
	MaxConnsPer  int
	HistoryLimit int
	AuthTimeout  time.Duration
	MaxPending   int // WS_GATEWAY_MAX_PENDING
	SendQueue    int
	Secret       []byte
	Issuer       string
	Fsync        bool      // store a notification only once fsynced (WS_GATEWAY_FSYNC)
	TrustedGroup string    // WS_DISPATCH_TRUSTED_GROUP
	Log          io.Writer // gateway logs; discarded when nil
	// NATS (WS_GATEWAY_NATS_URL) makes the gateway a node of that NATS
	// cluster (three servers: the stream is replicated three times)
	// instead of running on the embedded store.
	NATS string
	// Node names the gateway in the NATS cluster (default "gatewaytest"):
	// two gateways of one cluster need two names.
	Node string
	// The runner watcher: the bot socket its Telegram alerts go to (none
	// when empty), WS_GATEWAY_RUNNER_SILENT_AFTER, and how often it checks.
	BotSocket         string
	RunnerSilentAfter int
	WatchTick         time.Duration
}

// Gateway is a running test gateway.
type Gateway struct {
	WSURL  string // ws://127.0.0.1:PORT/
	Socket string // dispatch socket path
	Secret []byte
	Issuer string

	cfg  config.Config
	log  *slog.Logger
	g    *server.Gateway
	done chan error
}

// Start runs a gateway until the test ends.
func Start(t testing.TB, o Options) *Gateway {
	t.Helper()
	cfg := config.Defaults()
	cfg.Port = 0
	cfg.Host = "127.0.0.1"
	// Unix socket paths are limited to ~100 bytes; t.TempDir can be longer.
	sockDir, err := os.MkdirTemp("", "gw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	cfg.DispatchSocket = filepath.Join(sockDir, "ws.sock")
	cfg.StateDir = t.TempDir()
	cfg.Secret = []byte("gatewaytest-secret-0123456789abcdef0123456789")
	cfg.Fsync = o.Fsync
	cfg.TrustedGroup = o.TrustedGroup
	if o.NATS != "" {
		node := o.Node
		if node == "" {
			node = "gatewaytest"
		}
		cfg.Cluster = config.Cluster{URLs: o.NATS, Node: node}
	}
	cfg.ShutdownWait = 5 * time.Second
	if o.Secret != nil {
		cfg.Secret = o.Secret
	}
	if o.Issuer != "" {
		cfg.Issuer = o.Issuer
	}
	if o.Heartbeat > 0 {
		cfg.Heartbeat = o.Heartbeat
	}
	if o.MaxMissed > 0 {
		cfg.MaxMissed = o.MaxMissed
	}
	if o.MaxConnsPer > 0 {
		cfg.MaxConnsPer = o.MaxConnsPer
	}
	if o.HistoryLimit > 0 {
		cfg.HistoryLimit = o.HistoryLimit
	}
	if o.AuthTimeout > 0 {
		cfg.AuthTimeout = o.AuthTimeout
	}
	if o.MaxPending > 0 {
		cfg.MaxPending = o.MaxPending
	}
	if o.SendQueue > 0 {
		cfg.SendQueue = o.SendQueue
	}
	cfg.BotSocket = "off"
	if o.BotSocket != "" {
		cfg.BotSocket = o.BotSocket
	}
	if o.RunnerSilentAfter > 0 {
		cfg.RunnerSilentAfter = o.RunnerSilentAfter
	}
	if o.WatchTick > 0 {
		cfg.WatchTick = o.WatchTick
	}
	w := o.Log
	if w == nil {
		w = io.Discard
	}
	gw := &Gateway{Socket: cfg.DispatchSocket, Secret: cfg.Secret, Issuer: cfg.Issuer, cfg: cfg,
		log: logsetup.New(w, logsetup.Text, slog.LevelDebug)}
	gw.start(t)
	t.Cleanup(gw.Stop)
	return gw
}

func (gw *Gateway) start(t testing.TB) {
	t.Helper()
	g, err := server.New(gw.cfg, gw.log)
	// A restart binds the port it had. Meanwhile another test's connection
	// may have been given that number as its own end (the kernel's
	// ephemeral ports and a port-0 listener's come from one range); such
	// a connection is short-lived, so wait for it to end.
	for deadline := time.Now().Add(10 * time.Second); err != nil && gw.cfg.Port != 0 &&
		errors.Is(err, syscall.EADDRINUSE) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		g, err = server.New(gw.cfg, gw.log)
	}
	if err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	gw.g = g
	addr := g.WSAddr()
	gw.WSURL = "ws://" + addr + "/"
	// Keep the port across Restart so clients reconnect to the same URL.
	if _, p, ok := strings.Cut(addr, ":"); ok {
		gw.cfg.Port, _ = strconv.Atoi(p)
	}
	gw.done = make(chan error, 1)
	go func() { gw.done <- g.Serve() }()
}

// Stop shuts the gateway down gracefully (clients get 1001). Idempotent.
func (gw *Gateway) Stop() {
	if gw.g == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gw.g.Shutdown(ctx)
	<-gw.done
	gw.g = nil
}

// Restart stops the gateway and starts it again on the same port, socket
// and state folder.
func (gw *Gateway) Restart(t testing.TB) {
	t.Helper()
	gw.Stop()
	gw.start(t)
}

// RestartLosingState stops the gateway and starts it again on the same
// port and socket with an empty state folder, as after its database was
// lost: new epoch, no history, no revocation cutoffs.
func (gw *Gateway) RestartLosingState(t testing.TB) {
	t.Helper()
	gw.Stop()
	gw.cfg.StateDir = t.TempDir()
	gw.start(t)
}

// Token returns a valid 30-day token for user.
func (gw *Gateway) Token(t testing.TB, user string) string {
	t.Helper()
	tok, _, err := protocol.IssueToken(gw.Secret, gw.Issuer, user, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// StateDir is the gateway's state folder (history database and journal). A
// test may write records there with gateway/store while the gateway is
// stopped, e.g. a record no dispatch would be allowed to make.
func (gw *Gateway) StateDir() string { return gw.cfg.StateDir }

// Client returns a dispatch-socket client for this gateway.
func (gw *Gateway) Client() *protocol.Client { return protocol.NewClient(gw.Socket) }

// LogBuffer collects what a gateway writes from its goroutines (its logs,
// or a gateway process's output); safe for concurrent use.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

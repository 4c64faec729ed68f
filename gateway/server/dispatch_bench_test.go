//go:build unix

// The dispatch benchmark: the unix socket and getrusage (the gateway runs
// on Linux).

package server_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/server"
)

// BenchmarkDispatch measures one dispatch over the real unix socket,
// delivered to a held WebSocket connection, with 32 keep-alive
// dispatchers as in ws-loadgen. The client is a few lines of raw
// HTTP/1.1 so that what changes between runs is the gateway's side.
// cpu-µs/op is the whole process's CPU (gateway, client and the
// WebSocket reader) per dispatch; allocs/op likewise.
//
// The gateway logs at warn, as ws-loadgen runs it (gatewaytest logs at
// debug, which would measure the logger).
func BenchmarkDispatch(b *testing.B) {
	cfg := config.Defaults()
	cfg.Port = 0
	cfg.Host = "127.0.0.1"
	dir, err := os.MkdirTemp("", "gwbench")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg.DispatchSocket = filepath.Join(dir, "ws.sock")
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Secret = []byte("bench-secret-0123456789abcdef0123456789abcdef")
	cfg.Fsync = false
	cfg.SendQueue = 1 << 16
	g, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve() }()
	defer func() { g.Shutdown(context.Background()); <-served }()
	gw := &gatewaytest.Gateway{WSURL: "ws://" + g.WSAddr() + "/", Socket: cfg.DispatchSocket, Secret: cfg.Secret, Issuer: cfg.Issuer}
	ws := authed(b, gw, "bench", nil)
	go func() { // drain deliveries until the gateway closes the connection
		for {
			if _, _, err := ws.ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	body := `{"user":"bench","notification":{"title":"t","message":"1234567890"}}`
	req := []byte("POST /dispatch HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)

	b.ReportAllocs()
	b.SetParallelism(16) // 32 dispatchers on this 2-core machine
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("unix", gw.Socket)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for pb.Next() {
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			status, answer, err := readResponse(br)
			if err != nil || status != 200 || !bytes.Contains(answer, []byte(`"sent":1`)) {
				b.Errorf("dispatch answered %d %s (%v)", status, answer, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	ws.ws.Close()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

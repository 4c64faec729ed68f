//go:build unix

// The floor's benchmarks: unix sockets and getrusage (ws-loadgen measures
// a Linux server).

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Two measured choices, each against a trivial handler (read the body,
// write a dispatch answer) over a unix socket with 32 dispatchers;
// cpu-µs/op is the whole process's CPU (server and client) per request.

var floorAnswer = []byte(`{"sent":1,"stored":true,"seq":1}` + "\n")

func netHTTPServer(ln net.Listener) func() {
	ct := []string{"application/json"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = ct
		w.Write(floorAnswer)
	})}
	go srv.Serve(ln)
	return func() { srv.Close() }
}

func fasthttpServer(ln net.Listener) func() {
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		_ = ctx.PostBody()
		ctx.SetContentType("application/json")
		ctx.Write(floorAnswer)
	}}
	go srv.Serve(ln)
	return func() { srv.Shutdown() }
}

func leanClient(sock string) func(i int) error {
	d := newDispatcher(sock, 32)
	return func(i int) error { return d.dispatchTo(i, "f") }
}

func protocolClient(sock string) func(i int) error {
	c := protocol.NewClient(sock)
	return func(i int) error {
		res, err := c.Dispatch(context.Background(), user(i), protocol.Notification{Title: "f", Message: "1"})
		if err == nil && res.Sent != 1 {
			err = fmt.Errorf("sent %d", res.Sent)
		}
		return err
	}
}

// BenchmarkHTTPServerFloor is the evidence behind serving the gateway's
// dispatch socket with net/http rather than fasthttp: with the same
// client, the difference is the most that replacing net/http could save
// per dispatch.
func BenchmarkHTTPServerFloor(b *testing.B) {
	b.Run("net-http", func(b *testing.B) { benchFloor(b, netHTTPServer, leanClient) })
	b.Run("fasthttp", func(b *testing.B) { benchFloor(b, fasthttpServer, leanClient) })
}

// BenchmarkDispatchClient compares the generator's dispatch client with
// protocol.Client (net/http's Transport), which it replaced, against the
// same net/http server.
func BenchmarkDispatchClient(b *testing.B) {
	b.Run("fasthttp-hostclient", func(b *testing.B) { benchFloor(b, netHTTPServer, leanClient) })
	b.Run("protocol-client", func(b *testing.B) { benchFloor(b, netHTTPServer, protocolClient) })
}

func benchFloor(b *testing.B, serve func(net.Listener) (stop func()), client func(sock string) func(int) error) {
	dir, err := os.MkdirTemp("", "floor")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "floor.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer serve(ln)()
	do := client(sock)
	var i atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16) // 32 dispatchers on this 2-core machine
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := do(int(i.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

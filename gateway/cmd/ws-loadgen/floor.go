package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The machine's floor, measured in this process so the gateway's figures
// can be read against it: how fast bare loopback TCP connects (with one
// round trip each, held open) and trivial HTTP requests over a unix socket
// go here, with nothing of ours in the path.

func floorTCP(n, workers int) float64 {
	// Both sides without TCP keep-alive, as the gateway and the generator
	// run, so the floor is measured under the same conditions.
	ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			go func() { b := make([]byte, 16); c.Read(b); c.Write(b[:4]) }()
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				c, err := dialer.Dial("tcp", ln.Addr().String())
				if err != nil {
					return
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte("ping"))
				b := make([]byte, 16)
				c.Read(b)
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rate := float64(n) / time.Since(start).Seconds()
	mu.Lock()
	for _, c := range held {
		c.Close()
	}
	mu.Unlock()
	return rate
}

func floorHTTP(dir string, n, workers int) float64 {
	sock := filepath.Join(dir, "floor.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return 0
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"sent":1,"stored":true,"seq":1}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", sock)
			}}}
			defer hc.CloseIdleConnections()
			for next.Add(1) <= int64(n) {
				resp, err := hc.Post("http://floor/dispatch", "application/json",
					strings.NewReader(`{"user":"u","notification":{"title":"t","message":"1234567890"}}`))
				if err != nil {
					return
				}
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	os.Remove(sock)
	return float64(n) / time.Since(start).Seconds()
}

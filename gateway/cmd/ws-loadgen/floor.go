package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
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
	took, _ := each(n, workers, func(int) error {
		c, err := dialer.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("ping"))
		b := make([]byte, 16)
		c.Read(b)
		mu.Lock()
		held = append(held, c)
		mu.Unlock()
		return nil
	})
	rate := float64(n) / took.Seconds()
	mu.Lock()
	for _, c := range held {
		c.Close()
	}
	mu.Unlock()
	return rate
}

// floorHTTP serves trivial answers with net/http (as the gateway does)
// and sends them n dispatches from workers concurrent dispatchers through
// the same client as the dispatch phase, checking each answer the same
// way, so the two rates compare like with like.
func floorHTTP(dir string, n, workers int) float64 {
	sock := filepath.Join(dir, "floor.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return 0
	}
	ct := []string{"application/json"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header()["Content-Type"] = ct
		w.Write([]byte(`{"sent":1,"stored":true,"seq":1}` + "\n"))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	d := newDispatcher(sock, workers)
	took, err := each(n, workers, func(i int) error { return d.dispatchTo(i+1, "f") })
	os.Remove(sock)
	if err != nil {
		return 0
	}
	return float64(n) / took.Seconds()
}

// floor is the machine's floor: the two rates above and this process's
// CPU per operation in each (client and server both, as they share it).
type floor struct {
	tcpRate, tcpCPU   float64 // connects/s, µs per connect
	httpRate, httpCPU float64 // requests/s, µs per request
}

func measureFloor(o options, dir string) floor {
	var fl floor
	self := os.Getpid()
	n := min(o.conns, 8000)
	c0 := cpuSeconds(self)
	fl.tcpRate = floorTCP(n, o.connectors)
	fl.tcpCPU = perOp(cpuSeconds(self)-c0, n)
	const requests = 50000
	c0 = cpuSeconds(self)
	fl.httpRate = floorHTTP(dir, requests, o.dispatchers)
	fl.httpCPU = perOp(cpuSeconds(self)-c0, requests)
	return fl
}

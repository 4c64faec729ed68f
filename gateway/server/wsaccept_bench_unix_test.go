//go:build unix

package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// BenchmarkConnectAuth measures one WebSocket connect+auth against a real
// gateway over loopback: TCP connect, upgrade, auth frame, auth_ok. The
// client side is a few writes and reads of prepared bytes, so the figures
// are mostly the gateway's; both run in this process, so cpu-µs/op (user
// plus system CPU of the process, cpuTime in dispatch_bench_test.go) and allocs/op cover both sides, and
// µs/op is wall time per connect with 8 clients per core connecting. The
// connections are held, as the apps hold theirs, and closed after timing.
//
//	go test -run '^$' -bench ConnectAuth -benchtime 5000x ./gateway/server/
func BenchmarkConnectAuth(b *testing.B) {
	gw := gatewaytest.Start(b, gatewaytest.Options{MaxConnsPer: 1 << 20})
	addr := wsAddr(gw)
	upgrade := []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	// One user, so the figures do not include a growing user table; the
	// per-user limit is lifted above.
	auth, _ := json.Marshal(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(b, "bench")})
	frame := append([]byte{0x81, 0x80 | 126, byte(len(auth) >> 8), byte(len(auth)), 0, 0, 0, 0}, auth...)
	if len(auth) < 126 {
		b.Fatal("auth frame unexpectedly short")
	}
	var mu sync.Mutex
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	b.ReportAllocs()
	// Several clients at once, as apps reconnecting after a restart do:
	// the gateway's share then dominates, not the client's waits.
	b.SetParallelism(8)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 1024)
		var mine []net.Conn
		defer func() { mu.Lock(); held = append(held, mine...); mu.Unlock() }()
		for pb.Next() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, c)
			if _, err := c.Write(upgrade); err != nil {
				b.Error(err)
				return
			}
			if err := readUntil(c, buf, []byte("\r\n\r\n")); err != nil {
				b.Errorf("upgrade: %v", err)
				return
			}
			if _, err := c.Write(frame); err != nil {
				b.Error(err)
				return
			}
			if err := readUntil(c, buf, []byte(`"auth_ok"`)); err != nil {
				b.Errorf("auth: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// readUntil reads from c until what was read ends with suffix (the
// answers are small and arrive whole on loopback).
func readUntil(c net.Conn, buf, suffix []byte) error {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n := 0
	for {
		m, err := c.Read(buf[n:])
		if err != nil {
			return err
		}
		n += m
		if bytes.Contains(buf[:n], suffix) {
			return nil
		}
		if n == len(buf) {
			return fmt.Errorf("no %q in %q", suffix, buf[:n])
		}
	}
}

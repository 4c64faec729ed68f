//go:build linux

package server_test

import (
	"encoding/json"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/server"
)

// On Linux an idle connection holds no goroutine (netpoll_linux.go): a
// thousand of them add none, and each still hears what is sent to it.
func TestIdleConnectionsHoldNoGoroutine(t *testing.T) {
	const n = 1000
	gw := gatewaytest.Start(t, gatewaytest.Options{MaxConnsPer: n})
	addr := wsAddr(gw)
	upgrade := []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	auth, _ := json.Marshal(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "idle")})
	frame := append([]byte{0x81, 0x80 | 126, byte(len(auth) >> 8), byte(len(auth)), 0, 0, 0, 0}, auth...)
	// Raw sockets: the client side holds no goroutine either.
	connect := func() net.Conn {
		t.Helper()
		buf := make([]byte, 1024)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.Write(upgrade)
		if err := readUntil(c, buf, []byte("\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		c.Write(frame)
		if err := readUntil(c, buf, []byte(`"auth_ok"`)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	conns := []net.Conn{connect()} // the gateway's own goroutines are running now
	base := runtime.NumGoroutine()
	for len(conns) < n {
		conns = append(conns, connect())
	}
	// Handshake goroutines end just after auth_ok, or wait for the next
	// connect, at most server.MaxIdleHandshakers of them (connects that
	// overlap on a loaded machine leave several waiting): a goroutine per
	// connection would be 1,000 more.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+5+server.MaxIdleHandshakers {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines with %d idle connections, %d with one", runtime.NumGoroutine(), n, base)
		}
		time.Sleep(10 * time.Millisecond)
	}
	dispatch(t, gw, "idle", protocol.Notification{ID: "to-all", Title: "to all"})
	buf := make([]byte, 1024)
	for i, c := range conns {
		if err := readUntil(c, buf, []byte(`"to-all"`)); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
}

package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Each dispatch-socket connection's peer credentials are kept while it is
// open and forgotten when it closes: a caller that opens and closes
// connections all day grows nothing.
func TestDispatchConnectionsForgetTheirPeerWhenClosed(t *testing.T) {
	g := serveGateway(t)

	peers := func() int {
		g.dispatchSrv.mu.RLock()
		defer g.dispatchSrv.mu.RUnlock()
		return len(g.dispatchSrv.peers)
	}
	var conns []net.Conn
	for i := 0; i < 5; i++ {
		c, err := net.Dial("unix", g.cfg.DispatchSocket)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		// A request each, answered with what the peer may do (trusted:
		// the test runs as the gateway's own user).
		io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("health on connection %d: %v %v", i, res, err)
		}
	}
	if n := peers(); n != len(conns) {
		t.Fatalf("%d peers kept for %d open connections", n, len(conns))
	}
	for _, c := range conns {
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for peers() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d peers kept after every connection closed", peers())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

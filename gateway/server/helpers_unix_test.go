//go:build unix

package server_test

import (
	"net"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"
)

// dialSmallReceiveBuffer is dial with the client's receive buffer fixed
// small (no autotuning, which grows it to tcp_rmem's max, 32 MiB here), so
// a client that stops reading blocks the gateway's writer after a few MiB.
func dialSmallReceiveBuffer(t testing.TB, url string) *wsClient {
	t.Helper()
	d := websocket.Dialer{NetDial: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		})
		if err != nil {
			return err
		}
		return serr
	}}).Dial}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// wsClient is a minimal client written to the protocol, as a seed app would be.
type wsClient struct {
	t  testing.TB
	ws *websocket.Conn
}

func dial(t testing.TB, url string) *wsClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next reads the next frame as a map, failing after timeout.
func (c *wsClient) next(timeout time.Duration) map[string]any {
	c.t.Helper()
	m, err := c.tryNext(timeout)
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return m
}

func (c *wsClient) tryNext(timeout time.Duration) (map[string]any, error) {
	c.ws.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("frame is not JSON: %q", data)
	}
	return m, nil
}

// nextOfType skips pings.
func (c *wsClient) nextOfType(typ string, timeout time.Duration) map[string]any {
	c.t.Helper()
	for {
		m := c.next(timeout)
		if m["type"] == protocol.TypePing && typ != protocol.TypePing {
			continue
		}
		if m["type"] != typ {
			c.t.Fatalf("want a %s frame, got %v", typ, m)
		}
		return m
	}
}

// auth connects user and waits for auth_ok.
func authed(t testing.TB, gw *gatewaytest.Gateway, user string, resume *protocol.Resume) *wsClient {
	t.Helper()
	c := dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, user), Resume: resume})
	m := c.next(5 * time.Second)
	if m["type"] != protocol.TypeAuthOK || m["username"] != user {
		t.Fatalf("want auth_ok for %s, got %v", user, m)
	}
	return c
}

// expectClosed reads until the connection closes and returns the close error.
func (c *wsClient) expectClosed(timeout time.Duration) error {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c.ws.SetReadDeadline(deadline)
		_, _, err := c.ws.ReadMessage()
		if err != nil {
			if strings.Contains(err.Error(), "i/o timeout") {
				c.t.Fatalf("connection still open after %v", timeout)
			}
			return err
		}
	}
}

func dispatch(t testing.TB, gw *gatewaytest.Gateway, user string, n any) protocol.DispatchResponse {
	t.Helper()
	c := gw.Client()
	defer c.Close()
	res, err := c.Dispatch(context.Background(), user, n)
	if err != nil {
		t.Fatalf("dispatch: %v", err)
	}
	return res
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

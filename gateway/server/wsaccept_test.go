package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The WebSocket listener answers HTTP itself (see wsaccept.go); these tests
// hold it to what net/http's server did for requests that are not a proper
// upgrade, and to the auth timeout for clients that stall mid-request.

func wsAddr(gw *gatewaytest.Gateway) string {
	return strings.TrimSuffix(strings.TrimPrefix(gw.WSURL, "ws://"), "/")
}

// rawRequest sends raw bytes and returns the answer's status and body,
// checking that the gateway closes the connection after it.
func rawRequest(t *testing.T, gw *gatewaytest.Gateway, req string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", wsAddr(gw))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%q: read answer: %v", req, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: read body: %v", req, err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("%q: connection not closed after the answer (%v)", req, err)
	}
	return resp.StatusCode, string(body)
}

func TestNonUpgradeRequestsGetAnHTTPError(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	upgrade := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, tc := range []struct {
		req  string
		want int
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusBadRequest},
		{"GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", http.StatusBadRequest},
		{"POST / HTTP/1.1\r\nHost: x\r\n" + upgrade + "Content-Length: 2\r\n\r\n{}", http.StatusMethodNotAllowed},
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 12\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", http.StatusBadRequest},
		{"HELLO\r\n\r\n", http.StatusBadRequest},
		{"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
	} {
		status, body := rawRequest(t, gw, tc.req)
		if status != tc.want || body == "" {
			t.Errorf("%.60q: got %d %q, want %d with a reason", tc.req, status, body, tc.want)
		}
	}
	// And through an ordinary HTTP client.
	resp, err := http.Get("http://" + wsAddr(gw) + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: %d, want 400", resp.StatusCode)
	}
	authed(t, gw, "still-serving", nil)
}

// A client that connects and sends nothing, or half a request, or an
// upgrade but no auth frame, is closed within the auth timeout.
func TestStalledHandshakesClosedWithinAuthTimeout(t *testing.T) {
	const timeout = 400 * time.Millisecond
	gw := gatewaytest.Start(t, gatewaytest.Options{AuthTimeout: timeout})
	for _, sent := range []string{
		"",
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: webs",
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
	} {
		// From before the dial: the gateway's deadline starts at accept,
		// which under load can come before Dial returns here.
		start := time.Now()
		c, err := net.Dial("tcp", wsAddr(gw))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, sent)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := io.Copy(io.Discard, c)
		d := time.Since(start)
		c.Close()
		if err != nil || n != 0 {
			t.Fatalf("%q: read %d bytes, %v; want a silent close", sent, n, err)
		}
		if d < timeout-50*time.Millisecond || d > timeout+3*time.Second {
			t.Fatalf("%q: closed after %v, want about %v", sent, d, timeout)
		}
	}
}

// A slow client that trickles its request in byte by byte gets no more
// than the auth timeout for the whole handshake, not per byte.
func TestTricklingRequestIsBoundedByAuthTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	gw := gatewaytest.Start(t, gatewaytest.Options{AuthTimeout: timeout})
	c, err := net.Dial("tcp", wsAddr(gw))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Padding: " + strings.Repeat("p", 200) + "\r\n\r\n"
	for i := 0; i < len(req); i++ {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			break // closed by the gateway
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, c)
	if d := time.Since(start); d > timeout+2*time.Second {
		t.Fatalf("trickling client held on for %v (auth timeout %v)", d, timeout)
	}
}

func TestLogsNameXRealIPOrPeer(t *testing.T) {
	var logs gatewaytest.LogBuffer
	gw := gatewaytest.Start(t, gatewaytest.Options{Log: &logs})
	ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, http.Header{"X-Real-IP": {"203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &wsClient{t: t, ws: ws}
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "proxied")})
	c.nextOfType(protocol.TypeAuthOK, 5*time.Second)
	ws.Close()
	bad := dial(t, gw.WSURL)
	bad.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: "nope"})
	bad.expectClosed(5 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		l := logs.String()
		if strings.Contains(l, `msg="client connected" user=proxied remote=203.0.113.7`) &&
			strings.Contains(l, `msg="client disconnected" user=proxied remote=203.0.113.7`) &&
			strings.Contains(l, `msg="auth failed" remote=127.0.0.1:`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lines lack the remote address:\n%s", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Shutdown does not wait out the auth timeout of clients mid-handshake: an
// upgraded client that has not authenticated gets 1001 like everyone else.
func TestShutdownEndsPendingHandshakes(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{AuthTimeout: time.Minute})
	upgraded := dial(t, gw.WSURL)
	half, err := net.Dial("tcp", wsAddr(gw))
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	io.WriteString(half, "GET / HTTP/1.1\r\n")
	time.Sleep(100 * time.Millisecond) // let both reach their reads
	start := time.Now()
	gw.Stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v with handshakes pending", d)
	}
	if err := upgraded.expectClosed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("unauthenticated client: close = %v, want 1001", err)
	}
	half.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := io.Copy(io.Discard, half); n != 0 || err != nil {
		t.Fatalf("half request: read %d, %v; want a close", n, err)
	}
}

// Connections that never authenticate are capped (WS_GATEWAY_MAX_PENDING):
// past the cap a new connection is closed at once and counted, and an app
// connecting once some finished gets through.
func TestPendingHandshakesAreCapped(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{MaxPending: 3, AuthTimeout: time.Minute})
	metric := func(name string) string {
		_, _, raw := rawHTTP(t, gw.Socket, "GET", "/metrics", "")
		for _, line := range strings.Split(raw, "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		return ""
	}
	var silent []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", wsAddr(gw))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
	}
	// Accepted in order (the listen backlog is a queue): the three are
	// pending when the fourth is accepted, which is closed at once.
	// The gateway may close it before the dial even returns: Go's connect
	// then reads the reset from SO_ERROR, which is the same answer.
	start := time.Now()
	c, err := net.Dial("tcp", wsAddr(gw))
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		t.Logf("fourth connection reset during the dial")
	case err != nil:
		t.Fatal(err)
	default:
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("fourth connection: read %d bytes, %v; want it closed", n, err)
		}
		c.Close()
		t.Logf("fourth connection closed after %v", time.Since(start))
	}
	if v := metric("ws_gateway_pending_refused_total"); v == "" || v == "0" {
		t.Fatalf("refusals not counted: %q", v)
	}
	// Once the silent ones are gone, an app gets in.
	for _, c := range silent {
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
		if err == nil {
			ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")})
			var ok protocol.AuthOK
			ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			err = ws.ReadJSON(&ok)
			ws.Close()
			if err == nil && ok.Type == protocol.TypeAuthOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no app got in after the silent connections closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A client that closes with a code says why in the disconnect log: 1009
// (the app found a frame too big) is not "connection lost".
func TestDisconnectLogNamesTheCloseCode(t *testing.T) {
	var logs gatewaytest.LogBuffer
	gw := gatewaytest.Start(t, gatewaytest.Options{Log: &logs})
	for _, user := range []string{"toobig", "policy"} {
		c := authed(t, gw, user, nil)
		code := websocket.CloseMessageTooBig
		if user == "policy" {
			code = websocket.ClosePolicyViolation
		}
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "bye"), time.Now().Add(time.Second))
		c.expectClosed(5 * time.Second)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		l := logs.String()
		if strings.Contains(l, `msg="client disconnected" user=toobig remote=127.0.0.1:`) &&
			strings.Contains(l, `reason="closed by client: message too big (1009)"`) &&
			strings.Contains(l, `reason="closed by client with 1008 \"bye\""`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("disconnect log lines:\n%s", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// No client stalls anyone else's connect: the accept loop answers a
// request that is there whole and the poller authenticates an auth frame
// that is there whole (park.go), so a request in pieces, an error answer
// the client does not read (it lingers), an auth frame in pieces and a
// resume with history to replay to a client that reads nothing go to
// goroutines of their own. With all of them stalled, an app still
// connects, and an idle app still gets its notification.
func TestStalledClientsDoNotHoldUpConnects(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{AuthTimeout: time.Minute})
	idle := authed(t, gw, "idle", nil)
	// History for the resume: more than the socket buffers hold (6 MB).
	for i := 0; i < 200; i++ {
		dispatch(t, gw, "reader", protocol.Notification{ID: fmt.Sprint("n", i), Title: strings.Repeat("t", 30000)})
	}
	start := time.Now()
	stall := func(sent string) net.Conn {
		c, err := net.Dial("tcp", wsAddr(gw))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		io.WriteString(c, sent)
		return c
	}
	stall("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: web")
	for i := 0; i < 20; i++ { // each answer lingers up to 500 ms: 10 s one after another
		stall("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + strings.Repeat("unread", 100))
	}
	half := dial(t, gw.WSURL)
	// An auth frame's first half, by hand (gorilla writes frames whole).
	auth := []byte(`{"type":"auth","token":"` + gw.Token(t, "half") + `"}`)
	masked := append([]byte{0x81, 0x80 | 126, byte(len(auth) >> 8), byte(len(auth)), 0, 0, 0, 0}, auth...)
	half.rawWrite(masked[:len(masked)/2])
	resumer := dialSmallReceiveBuffer(t, gw.WSURL)
	resumer.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "reader"), Resume: &protocol.Resume{}})
	time.Sleep(100 * time.Millisecond) // every stalled client at its wait
	authed(t, gw, "prompt", nil)
	dispatch(t, gw, "idle", protocol.Notification{ID: "to-idle", Title: "t"})
	if m := idle.nextOfType(protocol.TypeNotification, 5*time.Second); m["id"] != "to-idle" {
		t.Fatalf("idle app got %v", m)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("stalled clients, then an app's connect and a delivery took %v", d)
	}
}

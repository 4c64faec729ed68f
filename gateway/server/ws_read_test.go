package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The reader reads only while bytes are there (on Linux, a reader runs
// only once the socket is readable): these tests send a client's frames
// split and joined in every way a read can find them.

// maskedFrame is a client's text frame (masked, with a zero key, so the
// payload is written as is).
func maskedFrame(t testing.TB, v any) []byte {
	t.Helper()
	p, err := json.Marshal(v)
	if err != nil || len(p) >= 126 {
		t.Fatalf("frame %v: %v", v, err)
	}
	return append([]byte{0x81, 0x80 | byte(len(p)), 0, 0, 0, 0}, p...)
}

func joined(frames ...[]byte) []byte {
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	return b
}

// rawWrite writes bytes to the client's socket directly, as one write
// (one segment on loopback).
func (c *wsClient) rawWrite(b []byte) {
	c.t.Helper()
	if _, err := c.ws.UnderlyingConn().Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// ackedIDs reads until it has seen the acked frames of ids (pings are
// read and not answered) and fails on anything else.
func (c *wsClient) ackedIDs(timeout time.Duration, ids ...string) {
	c.t.Helper()
	for _, id := range ids {
		m := c.nextOfType(protocol.TypeAcked, timeout)
		if m["id"] != id {
			c.t.Fatalf("acked %v, want %s", m, id)
		}
	}
}

func TestFramesSplitAndJoinedAreAllRead(t *testing.T) {
	// Pings every 200 ms, closed after 3 unanswered: a frame the reader
	// leaves unread (buffered, or in the socket with no reader coming)
	// ends the connection before its answer comes.
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 200 * time.Millisecond, MaxMissed: 3})
	c := authed(t, gw, "petr", &protocol.Resume{})
	for i := 1; i <= 5; i++ {
		dispatch(t, gw, "petr", protocol.Notification{ID: fmt.Sprint("n", i)})
		c.nextOfType(protocol.TypeNotification, 5*time.Second)
	}
	ack := func(id string) []byte { return maskedFrame(t, protocol.AckFrame{Type: protocol.TypeAck, ID: id}) }
	pong := maskedFrame(t, map[string]string{"type": protocol.TypePong})

	// One frame in three pieces: the reader waits for the rest.
	f := ack("n1")
	for _, piece := range [][]byte{f[:1], f[1:4], f[4:]} {
		c.rawWrite(piece)
		time.Sleep(20 * time.Millisecond) // each piece its own segment
	}
	c.ackedIDs(2*time.Second, "n1")

	// Three frames in one segment, nothing after them: all three are
	// read from what one read buffered.
	c.rawWrite(joined(ack("n2"), pong, ack("n3")))
	c.ackedIDs(2*time.Second, "n2", "n3")

	// A frame and a half, then the other half: the half is kept.
	f = ack("n4")
	c.rawWrite(joined(ack("n5"), f[:7]))
	time.Sleep(20 * time.Millisecond)
	c.rawWrite(f[7:])
	c.ackedIDs(2*time.Second, "n5", "n4")

	// An ack and a pong in each read answer ten pings: the connection
	// lives on (a pong left unread would be missed three times).
	for i := 0; i < 10; i++ {
		if m := c.next(2 * time.Second); m["type"] != protocol.TypePing {
			t.Fatalf("want ping, got %v", m)
		}
		c.rawWrite(joined(ack("n1"), pong)) // acked already: no answer
	}
	dispatch(t, gw, "petr", protocol.Notification{ID: "n6"})
	if m := c.nextOfType(protocol.TypeNotification, 2*time.Second); m["id"] != "n6" {
		t.Fatalf("after the pongs: %v", m)
	}
}

// connections is the gateway's ws_gateway_connections gauge.
func connections(t *testing.T, gw *gatewaytest.Gateway) string {
	t.Helper()
	_, _, raw := rawHTTP(t, gw.Socket, "GET", "/metrics", "")
	m := regexp.MustCompile(`(?m)^ws_gateway_connections (\S+)$`).FindStringSubmatch(raw)
	if m == nil {
		t.Fatalf("no ws_gateway_connections in %s", raw)
	}
	return m[1]
}

// waitFinished waits until no connection is counted, then checks that
// each connection was finished once: one disconnect line each, with the
// reasons given, the gauge back at 0 and no user left in the fan-out.
func waitFinished(t *testing.T, gw *gatewaytest.Gateway, logs *gatewaytest.LogBuffer, reasons ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for connections(t, gw) != "0" {
		if time.Now().After(deadline) {
			t.Fatalf("connections still counted: %s", connections(t, gw))
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := strings.Count(logs.String(), "client disconnected")
	if got != len(reasons) {
		t.Fatalf("%d disconnect lines, want %d:\n%s", got, len(reasons), logs.String())
	}
	for _, r := range reasons {
		if !strings.Contains(logs.String(), r) {
			t.Fatalf("no disconnect with %q:\n%s", r, logs.String())
		}
	}
	if h, err := gw.Client().Health(t.Context()); err != nil || len(h.Users) != 0 {
		t.Fatalf("health after the disconnects: %+v %v", h, err)
	}
	if g := connections(t, gw); g != "0" {
		t.Fatalf("connections gauge %s after settling (finished twice?)", g)
	}
}

// The gateway closes a connection while no reader runs (it is idle) or
// while one waits for the rest of a frame: it is finished once either way.
func TestGatewayCloseFinishesIdleAndReadingConnectionsOnce(t *testing.T) {
	for _, reading := range []bool{false, true} {
		t.Run(fmt.Sprintf("reading=%v", reading), func(t *testing.T) {
			var logs gatewaytest.LogBuffer
			gw := gatewaytest.Start(t, gatewaytest.Options{Log: &logs, Heartbeat: 100 * time.Millisecond, MaxMissed: 2})
			old := tokenAt(t, gw, "petr", time.Now().Add(-time.Hour))
			revoked := dial(t, gw.WSURL)
			revoked.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: old})
			revoked.nextOfType(protocol.TypeAuthOK, 5*time.Second)
			silent := authed(t, gw, "eva", nil)
			if reading {
				// Half a frame each: their readers wait for the rest.
				for _, c := range []*wsClient{revoked, silent} {
					c.rawWrite(maskedFrame(t, map[string]string{"type": protocol.TypePong})[:8])
				}
			}
			// eva's pings go unanswered: the heartbeat closes it.
			if _, err := gw.Client().Revoke(t.Context(), "petr", protocol.RevocationCutoff(time.Now())); err != nil {
				t.Fatal(err)
			}
			revoked.expectClosed(5 * time.Second)
			silent.expectClosed(5 * time.Second)
			waitFinished(t, gw, &logs, "reason=\"token revoked\"", "reason=\"heartbeat timeout\"")
		})
	}
}

func TestShutdownFinishesIdleConnections(t *testing.T) {
	var logs gatewaytest.LogBuffer
	gw := gatewaytest.Start(t, gatewaytest.Options{Log: &logs})
	cs := []*wsClient{authed(t, gw, "petr", nil), authed(t, gw, "eva", nil)}
	gw.Stop()
	for _, c := range cs {
		if err := c.expectClosed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseGoingAway, websocket.CloseServiceRestart) {
			t.Fatalf("close = %v, want 1001 or 1012", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "client disconnected") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("not every connection finished:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Connections opened and closed many times at once reuse descriptor
// numbers (and poller slots): every connection's frames still reach its
// own reader, none is lost, and the held ones are untouched.
func TestConnectionChurnLosesAndMisroutesNothing(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	const held, workers, rounds = 10, 6, 60
	var holders []*wsClient
	for i := 0; i < held; i++ {
		u := fmt.Sprint("held", i)
		holders = append(holders, authed(t, gw, u, &protocol.Resume{}))
		dispatch(t, gw, u, protocol.Notification{ID: u})
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := fmt.Sprint("churn", w)
			for i := 0; i < rounds && !t.Failed(); i++ {
				if err := churnOnce(gw, u, fmt.Sprint(u, "-", i), i%2 == 0); err != nil {
					t.Errorf("%s round %d: %v", u, i, err)
				}
			}
		}()
	}
	wg.Wait()
	// Each held connection acks its own notification and hears only that.
	for i, c := range holders {
		u := fmt.Sprint("held", i)
		if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); m["id"] != u {
			t.Fatalf("%s got %v", u, m)
		}
		c.send(protocol.AckFrame{Type: protocol.TypeAck, ID: u})
		c.ackedIDs(5*time.Second, u)
	}
}

// churnOnce connects as user, gets a notification, acks it and hears the
// ack (so its frames were read), then closes: abruptly, or with a close
// frame.
func churnOnce(gw *gatewaytest.Gateway, user, id string, abrupt bool) error {
	ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	token, _, err := protocol.IssueToken(gw.Secret, gw.Issuer, user, time.Now())
	if err != nil {
		return err
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: token}); err != nil {
		return err
	}
	want := []string{protocol.TypeAuthOK, protocol.TypeNotification, protocol.TypeAcked}
	for step, typ := range want {
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			return fmt.Errorf("waiting for %s: %w", typ, err)
		}
		if m["type"] != typ || (typ != protocol.TypeAuthOK && m["id"] != id) {
			return fmt.Errorf("step %d: got %v, want %s of %s", step, m, typ, id)
		}
		switch typ {
		case protocol.TypeAuthOK:
			if err := dispatchTo(gw, user, id); err != nil {
				return err
			}
		case protocol.TypeNotification:
			if err := ws.WriteJSON(protocol.AckFrame{Type: protocol.TypeAck, ID: id}); err != nil {
				return err
			}
		}
	}
	if abrupt {
		return ws.UnderlyingConn().(*net.TCPConn).SetLinger(0)
	}
	return ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}

func dispatchTo(gw *gatewaytest.Gateway, user, id string) error {
	cl := gw.Client()
	defer cl.Close()
	_, err := cl.Dispatch(context.Background(), user, protocol.Notification{ID: id})
	return err
}

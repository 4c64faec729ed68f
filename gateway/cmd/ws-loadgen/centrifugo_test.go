package main

import (
	"net"
	"strconv"
	"testing"
	"time"
)

func TestIsCentrifugoConnected(t *testing.T) {
	for _, tc := range []struct {
		frame string
		want  bool
	}{
		{`{"id":1,"connect":{"client":"c1","version":"6.9.1","subs":{"personal:#user7":{"recoverable":true,"epoch":"x","positioned":true}},"ping":25,"pong":true}}`, true},
		{`{"id":1,"connect":{"client":"c1","subs":{"personal:#user70":{}}}}`, false}, // another user's channel
		{`{"id":1,"connect":{"client":"c1","ping":25}}`, false},                      // not subscribed
		{`{"id":1,"error":{"code":109,"message":"token expired"}}`, false},
		{``, false},
	} {
		if got := isCentrifugoConnected([]byte(tc.frame), 7); got != tc.want {
			t.Errorf("isCentrifugoConnected(%s) = %v, want %v", tc.frame, got, tc.want)
		}
	}
}

// A frame of Centrifugo's JSON protocol may carry several lines: each
// publication is counted with its latency, a ping ("{}") is answered
// with "{}", other pushes are not counted.
func TestCentrifugoFrame(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	c := &conn{ws: &rawConn{c: client}, centrifugo: true}
	sent := time.Now().Add(-time.Millisecond).UnixNano()
	pub := `{"push":{"channel":"personal:#user1","pub":{"data":{"title":"t","message":"` + strconv.FormatInt(sent, 10) + `"},"offset":3}}}`
	frame := pub + "\n" + `{"push":{"channel":"personal:#user1","join":{"info":{}}}}` + "\n{}\n" + pub
	go c.centrifugoFrame([]byte(frame), time.Now().UnixNano())
	got := make([]byte, 8)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := server.Read(got)
	if err != nil {
		t.Fatal(err)
	}
	// A masked client text frame of "{}": 0x81, 0x80|2, the zero mask, "{}".
	if want := "\x81\x82\x00\x00\x00\x00{}"; string(got[:n]) != want {
		t.Fatalf("ping answered %q, want %q", got[:n], want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.n.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if c.n.Load() != 2 {
		t.Fatalf("counted %d publications, want 2", c.n.Load())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lats {
		if l < time.Millisecond || l > time.Minute {
			t.Errorf("latency %v, want the send time read from the message", l)
		}
	}
}

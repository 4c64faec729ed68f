package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// conn is one held connection; it answers pings and records latencies.
type conn struct {
	ws   *rawConn
	mu   sync.Mutex
	lats []time.Duration
	sent []int64 // each latency's send time (unix ns), for --outliers
	n    atomic.Int64
	// centrifugo: the peer's client protocol (JSON, one reply or push per
	// line, several lines to a frame; a ping is "{}" and answered so).
	centrifugo bool
}

// connect opens connection i to g and checks that g answered auth_ok
// (Centrifugo: the connect reply with the user's personal channel).
func connect(g *gateway, authFrame []byte, i int) (*conn, error) {
	rc, answer, err := rawDial(g.addr, g.upgrade, authFrame)
	if err != nil {
		return nil, err
	}
	ok := false
	if g.centrifugo {
		ok = isCentrifugoConnected(answer, i)
	} else {
		ok = isAuthOK(answer, user(i))
	}
	if !ok {
		rc.c.Close()
		return nil, fmt.Errorf("auth: %s", answer)
	}
	return &conn{ws: rc, centrifugo: g.centrifugo}, nil
}

// isAuthOK reports whether frame is auth_ok for name. The gateway's
// exact encoding is compared as bytes first; anything else (another field
// order, an added field) is decoded.
func isAuthOK(frame []byte, name string) bool {
	const prefix, mid, suffix = `{"type":"`, `","username":"`, `"}`
	if len(frame) == len(prefix)+len(protocol.TypeAuthOK)+len(mid)+len(name)+len(suffix) {
		rest, ok := bytes.CutPrefix(frame, []byte(prefix+protocol.TypeAuthOK+mid))
		if ok && string(rest[:len(name)]) == name && string(rest[len(name):]) == suffix {
			return true
		}
	}
	var m protocol.AuthOK
	return json.Unmarshal(frame, &m) == nil && m.Type == protocol.TypeAuthOK && m.Username == name
}

func (c *conn) readLoop() {
	for {
		data, err := c.ws.readText()
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		if c.centrifugo {
			c.centrifugoFrame(data, now)
			continue
		}
		// Byte checks, not a JSON decode: the generator must cost less
		// than the gateway it measures. The gateway writes "type" first.
		switch {
		case bytes.HasPrefix(data, pingPrefix):
			c.ws.writeText([]byte(`{"type":"pong"}`))
		case bytes.HasPrefix(data, notificationPrefix):
			c.record(now, sentAt(data))
		}
	}
}

// centrifugoFrame handles one frame of Centrifugo's JSON protocol.
func (c *conn) centrifugoFrame(data []byte, now int64) {
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		switch {
		case len(line) == 2 && string(line) == "{}":
			c.ws.writeText(line)
		case bytes.HasPrefix(line, centrifugoPushPrefix) && bytes.Contains(line, centrifugoPubKey):
			c.record(now, sentAt(line))
		}
	}
}

func (c *conn) record(now, sent int64) {
	c.mu.Lock()
	c.lats = append(c.lats, time.Duration(now-sent))
	c.sent = append(c.sent, sent)
	c.mu.Unlock()
	c.n.Add(1)
}

var (
	pingPrefix         = []byte(`{"type":"` + protocol.TypePing + `"`)
	notificationPrefix = []byte(`{"type":"` + protocol.TypeNotification + `"`)
	messageKey         = []byte(`"message":"`)

	centrifugoPushPrefix = []byte(`{"push":{"channel":"`)
	centrifugoPubKey     = []byte(`"pub":{`)
)

// sentAt reads the send time (unix ns) that dispatchTo put in the message.
func sentAt(frame []byte) int64 {
	i := bytes.Index(frame, messageKey)
	if i < 0 {
		return 0
	}
	var ts int64
	for _, b := range frame[i+len(messageKey):] {
		if b < '0' || b > '9' {
			break
		}
		ts = ts*10 + int64(b-'0')
	}
	return ts
}

func (c *conn) reset() {
	c.mu.Lock()
	c.lats = c.lats[:0]
	c.sent = c.sent[:0]
	c.mu.Unlock()
	c.n.Store(0)
}

func received(conns []*conn) int64 {
	var n int64
	for _, c := range conns {
		n += c.n.Load()
	}
	return n
}

// waitReceived waits until want notifications arrived and returns the
// latency's p50, p99, p99.9 and maximum, or nil when they did not all arrive.
func waitReceived(conns []*conn, want int64, timeout time.Duration) []time.Duration {
	deadline := time.Now().Add(timeout)
	for received(conns) < want {
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	var all []time.Duration
	for _, c := range conns {
		c.mu.Lock()
		all = append(all, c.lats...)
		c.mu.Unlock()
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return []time.Duration{all[len(all)/2], all[len(all)*99/100], all[len(all)*999/1000], all[len(all)-1]}
}

// outlier is one dispatch's send time (unix ns) and latency.
type outlier struct {
	sent int64
	lat  time.Duration
}

// worst returns the n slowest dispatches received, slowest first.
func worst(conns []*conn, n int) []outlier {
	var all []outlier
	for _, c := range conns {
		c.mu.Lock()
		for i, l := range c.lats {
			all = append(all, outlier{c.sent[i], l})
		}
		c.mu.Unlock()
	}
	sort.Slice(all, func(i, j int) bool { return all[i].lat > all[j].lat })
	return all[:min(n, len(all))]
}

package connection

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// A failed connect is shown in Settings: it must say in words what
// happened and what to check (the raw library error goes to the log). The
// case from issue 11: the app pointed at the webapp's port gets a 404.
func TestFailedConnectSaysWhyInWords(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := closed.Addr().String()
	closed.Close()

	for _, c := range []struct {
		url  string
		want []string
	}{
		{"ws" + strings.TrimPrefix(notFound.URL, "http") + "/ws/notifications",
			[]string{"answered HTTP 404 Not Found instead of opening a WebSocket", "gateway's address"}},
		{"ws://" + refusedAddr + "/ws/notifications",
			[]string{"Nothing answers at " + refusedAddr, "not running there, or the address is wrong"}},
		{"", []string{"No gateway address: set the server address first."}},
	} {
		statuses := make(chan Status, 10)
		conn := New(Options{
			URL:      func() string { return c.url },
			Token:    func() string { return "a.b.c" },
			OnStatus: func(s Status) { statuses <- s },
			Clock:    clockwork.NewFakeClock(), // the backoff wait never ends by itself
			Logger:   slog.New(slog.DiscardHandler),
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { conn.Run(ctx); close(done) }()
		var got Status
		timeout := time.After(10 * time.Second)
		for got.State != Reconnecting {
			select {
			case got = <-statuses:
			case <-timeout:
				t.Fatalf("%q: no Reconnecting status (now %+v)", c.url, conn.Status())
			}
		}
		cancel()
		<-done
		for _, w := range c.want {
			if !strings.Contains(got.Error, w) {
				t.Errorf("%q: error %q does not say %q", c.url, got.Error, w)
			}
		}
		if strings.Contains(got.Error, "websocket:") || strings.Contains(got.Error, "dial tcp") {
			t.Errorf("%q: error %q is the library's wording", c.url, got.Error)
		}
	}
}

// The last error stays shown while the next attempt runs, and goes once a
// link is up.
func TestLastErrorIsKeptWhileConnecting(t *testing.T) {
	c := New(Options{URL: func() string { return "" }, Token: func() string { return "" }})
	c.setStatus(Status{State: Reconnecting, Error: "Nothing answers at x"})
	statuses := make(chan Status, 1)
	c.o.OnStatus = func(s Status) { statuses <- s }
	c.link(context.Background()) // no address: ends at once
	if s := <-statuses; s.State != Connecting || s.Error != "Nothing answers at x" {
		t.Errorf("while connecting: %+v; want the last error kept", s)
	}
}

// The log says the backoff in seconds a person reads ("1.2s"), never in
// nanoseconds ("in":1308815552), issue 11.
func TestReconnectLogSaysSeconds(t *testing.T) {
	var buf syncBuffer
	statuses := make(chan Status, 10)
	conn := New(Options{URL: func() string { return "" }, Token: func() string { return "a.b.c" },
		OnStatus: func(s Status) { statuses <- s }, Clock: clockwork.NewFakeClock(),
		Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { conn.Run(ctx); close(done) }()
	for s := range statuses {
		if s.State == Reconnecting {
			break
		}
	}
	cancel()
	<-done
	if !regexp.MustCompile(`"msg":"reconnecting","in":"[0-9.]+m?s"`).MatchString(buf.String()) {
		t.Errorf("log:\n%s\nwant the wait in seconds", buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

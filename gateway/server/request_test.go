package server

import (
	"bufio"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const plainUpgrade = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// requestCases are upgrade requests, plain and not, valid and malformed.
var requestCases = []string{
	plainUpgrade,
	plainUpgrade + "\x81\x85", // a frame sent before the 101: left unread
	strings.Replace(plainUpgrade, "GET / ", "GET /ws/v1?x=1 ", 1),
	strings.Replace(plainUpgrade, "GET / ", "GET /ws/v1 ", 1),
	strings.Replace(plainUpgrade, "GET / ", "POST / ", 1),
	strings.Replace(plainUpgrade, "HTTP/1.1", "HTTP/1.0", 1),
	strings.Replace(plainUpgrade, "Host: 127.0.0.1:8080\r\n", "", 1),
	strings.Replace(plainUpgrade, "Host: 127.0.0.1:8080\r\n", "Host: a\r\nHost: b\r\n", 1),
	strings.Replace(plainUpgrade, "Connection: Upgrade\r\n", "Connection: keep-alive\r\nconnection: Upgrade\r\n", 1),
	strings.Replace(plainUpgrade, "Connection: Upgrade\r\n", "Connection: keep-alive, Upgrade\r\n", 1),
	strings.Replace(plainUpgrade, "Connection: Upgrade\r\n", "Connection: Upgrade, close\r\n", 1),
	strings.Replace(plainUpgrade, "Connection: Upgrade\r\n", "Connection:   Upgrade  \r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Real-IP: 203.0.113.7\r\nOrigin: https://alerts.example\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Real-IP: 203.0.113.7\r\nX-Real-Ip: 10.0.0.1\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nSec-WebSocket-Protocol: a, b\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nCookie: a=b; c=d\r\nUser-Agent: x\r\nContent-Type: text/plain\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nContent-Length: 5\r\n\r\nhello", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nContent-Length: 0\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Folded: a\r\n b\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nBad Header: x\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Ctl: a\x01b\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Nul: a\x00b\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\n: no name\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nNo-Colon\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Space : x\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Utf8: é\r\n\r\n", 1),
	strings.Replace(plainUpgrade, "\r\n\r\n", "\r\nX-Bare-Cr: a\rb\r\n\r\n", 1),
	strings.ReplaceAll(plainUpgrade, "\r\n", "\n"),
	"GET / HTTP/1.1\r\n",
	"GET /\r\n\r\n",
	"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
	"get / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
	"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 100)+"\r\n", 50) + "\r\n",
}

// The request gorilla and the gateway are handed is the same whichever
// parser read it: where readPlainRequest takes a request, net/http takes it
// too, with the same method, the same values of every header read, and
// the same bytes left after it (a frame sent before the 101 must still be
// seen, and refused, by gorilla).
func TestPlainRequestParseMatchesNetHTTP(t *testing.T) {
	fast := 0
	for _, raw := range requestCases {
		if checkSameRequest(t, raw) {
			fast++
		}
	}
	if fast < 10 {
		t.Fatalf("fasthttp parsed %d of the cases, want the plain ones (at least 10)", fast)
	}
}

// checkSameRequest reports whether the fast parse took raw, failing t if
// its result differs from net/http's.
func checkSameRequest(t *testing.T, raw string) bool {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(raw), 4096)
	br.Peek(min(len(raw), 4096)) // what one read of the socket has buffered
	f := readPlainRequest(br)
	if f == nil {
		return false
	}
	defer f.release()
	want, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("%q: fasthttp parsed it, net/http refused it: %v", raw, err)
	}
	if f.req.Method != want.Method {
		t.Errorf("%q: method %q, net/http's %q", raw, f.req.Method, want.Method)
	}
	for _, k := range upgradeHeaders {
		got, exp := f.req.Header[k], want.Header[k]
		if len(got) == 0 && len(exp) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("%q: %s %q, net/http's %q", raw, k, got, exp)
		}
	}
	if rest := raw[len(raw)-br.Buffered():]; want.ContentLength > 0 || rest != raw[strings.Index(raw, "\r\n\r\n")+4:] {
		t.Errorf("%q: left %q after the request", raw, rest)
	}
	return true
}

func FuzzPlainRequestParseMatchesNetHTTP(f *testing.F) {
	for _, raw := range requestCases {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkSameRequest(t, raw)
	})
}

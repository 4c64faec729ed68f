package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// BenchmarkRefresh is the desktop app's hottest webapp call: verify the
// Bearer token, check the revocation cutoff, mark linked (no write once
// linked) and sign a new token. In-process, no network.
func BenchmarkRefresh(b *testing.B) {
	e := newEnv(b, envOpts{public: "http://example.com"}) // httptest.NewRequest's Host
	h := e.srv.Handler()
	tok := e.gw.Token(b, "petr")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, protocol.PathDesktopRefresh, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkRefusedToken measures how cheaply a bad token is turned away.
func BenchmarkRefusedToken(b *testing.B) {
	e := newEnv(b, envOpts{public: "http://example.com"}) // httptest.NewRequest's Host
	h := e.srv.Handler()
	tok := e.gw.Token(b, "petr")
	bad := tok[:len(tok)-2] + "xx"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, protocol.PathDesktopRefresh, strings.NewReader(""))
		req.Header.Set("Authorization", "Bearer "+bad)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 401 {
			b.Fatal(w.Code)
		}
	}
}

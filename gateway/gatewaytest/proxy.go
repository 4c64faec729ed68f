package gatewaytest

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Proxy is a dispatch socket in front of a test gateway that counts the
// requests it passes, by method and path, and can play an older gateway:
// the paths it is told are missing get the 404 a gateway without them
// answers a trusted caller. A test proves with it which requests a client
// makes, and that the client still works against an older gateway.
type Proxy struct {
	Socket string

	mu     sync.Mutex
	counts map[string]int
}

// StartProxy serves a proxy to gw until the test ends.
func StartProxy(t testing.TB, gw *Gateway, missing ...string) *Proxy {
	t.Helper()
	dir, err := os.MkdirTemp("", "gwproxy") // a short path: unix sockets are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &Proxy{Socket: filepath.Join(dir, "ws.sock"), counts: map[string]int{}}
	ln, err := net.Listen("unix", p.Socket)
	if err != nil {
		t.Fatal(err)
	}
	target := gw.Socket
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: "http", Host: "gateway"}) },
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", target)
		}},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[r.Method+" "+r.URL.Path]++
		p.mu.Unlock()
		if slices.Contains(missing, r.URL.Path) {
			// What an older gateway's dispatchRoutes answers a trusted caller.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"no such endpoint: ` + r.Method + " " + r.URL.Path + `","code":"` + protocol.CodeNotFound + `"}` + "\n"))
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

// Requests is how many requests of method to path the proxy has seen.
func (p *Proxy) Requests(method, path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[method+" "+path]
}

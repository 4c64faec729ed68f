package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// hostRequest sends a real request to the webapp with the given Host header.
func (e *env) hostRequest(c *http.Client, method, path, host string, form url.Values, hdr ...string) answer {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Host = host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return e.send(c, req, hdr...)
}

// A DNS-rebinding page (http://evil.example:PORT resolving to 127.0.0.1)
// reaches `make run`'s development portal with its own Host header: it
// can neither sign in, nor read a page, nor use a token.
func TestForeignHostRefusedInDevMode(t *testing.T) {
	e := newEnv(t, envOpts{})
	port := e.addr
	port = port[strings.LastIndex(port, ":"):]
	evil := "evil.example" + port

	// The development sign-in, as the rebinding page would post it
	// (same-origin for the browser, so Sec-Fetch-Site says so).
	c := e.browser()
	a := e.hostRequest(c, http.MethodPost, "/auth/dev/login", evil,
		url.Values{"email": {"petr@example.com"}, "next": {"/dashboard"}}, "Sec-Fetch-Site", "same-origin")
	if a.status != http.StatusMisdirectedRequest || a.header.Get("Set-Cookie") != "" {
		t.Fatalf("dev sign-in for host %s: %d, cookie %q", evil, a.status, a.header.Get("Set-Cookie"))
	}
	if !strings.Contains(string(a.body), "answers only at "+e.url) {
		t.Fatalf("the refusal does not say where to go: %s", a.body)
	}
	// A signed-in browser's pages and API calls, for the foreign host.
	c = e.signIn("petr@example.com")
	page := e.hostRequest(c, http.MethodGet, "/dashboard", evil, nil, "Accept", "text/html")
	if page.status != http.StatusMisdirectedRequest || !strings.Contains(string(page.body), "open that address instead") {
		t.Fatalf("dashboard for host %s: %d %s", evil, page.status, page.body)
	}
	e.hostRequest(c, http.MethodPost, protocol.PathDesktopAuthorize, evil, nil).errorBody(t, 421, "wrong_host")
	tok := e.authorize(c)
	e.hostRequest(nil, http.MethodGet, protocol.PathDesktopScripts, evil, nil, "Authorization", "Bearer "+tok).
		errorBody(t, 421, "wrong_host")
	e.hostRequest(nil, http.MethodPost, protocol.PathDesktopRefresh, "EVIL.example", nil, "Authorization", "Bearer "+tok).
		errorBody(t, 421, "wrong_host")

	// The public host in any spelling, and the other loopback names, work.
	// (Bearer, not the cookie: a cookie jar keeps cookies by host name.)
	for _, h := range []string{"127.0.0.1" + port, "localhost" + port, "LOCALHOST.", "[::1]" + port} {
		if a := e.hostRequest(nil, http.MethodGet, protocol.PathDesktopScripts, h, nil, "Authorization", "Bearer "+tok); a.status != 200 {
			t.Errorf("scripts for host %s: %d %s", h, a.status, a.body)
		}
	}
	// /health answers whatever the Host (monitoring by address).
	if a := e.hostRequest(nil, http.MethodGet, "/health", evil, nil); a.status != 200 {
		t.Fatalf("health for host %s: %d", evil, a.status)
	}
}

// In production the public URL names the site; nginx passes its name as
// Host (proxy_set_header Host $host, no port). A request by address or for
// another name is refused; the public name, with or without a port, works.
func TestHostCheckWithPublicURL(t *testing.T) {
	e := newEnv(t, envOpts{public: "https://alerts.example.com"})
	tok := e.gw.Token(t, "petr")
	for host, want := range map[string]int{
		"alerts.example.com": 200, "Alerts.Example.com": 200, "alerts.example.com:443": 200,
		"alerts.example.com.": 200,
		e.addr:                421, "localhost": 421, "evil.example": 421,
		"alerts.example.com.evil.example": 421,
	} {
		a := e.hostRequest(nil, http.MethodGet, protocol.PathDesktopScripts, host, nil, "Authorization", "Bearer "+tok)
		if a.status != want {
			t.Errorf("Host %q: %d, want %d: %s", host, a.status, want, a.body)
		}
	}
}

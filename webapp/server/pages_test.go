package server_test

import (
	"bytes"
	"html"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Development sign-in offers the local user the examples were installed
// for (WEBAPP_DEV_USER), and the dashboard of a user without scripts names
// the real folder the helper looks in, not a ~ that does not exist locally.
func TestDevSignInOffersTheLocalUserAndTheHintNamesTheRealFolder(t *testing.T) {
	e := newEnv(t, envOpts{devUser: "petr"})
	a := e.do(nil, http.MethodGet, "/auth/dev", "")
	if a.status != http.StatusOK || !strings.Contains(string(a.body), `value="petr@example.com"`) {
		t.Fatalf("dev sign-in page: %d %s", a.status, a.body)
	}
	a = e.do(e.signIn("petr@example.com"), http.MethodGet, "/dashboard", "")
	want := filepath.Join(e.homeRoot, "petr", "user", "notifications") + "/"
	if a.status != http.StatusOK || !strings.Contains(html.UnescapeString(string(a.body)), `<code id="scripts-dir">`+want+`</code>`) {
		t.Fatalf("dashboard without scripts does not name %s: %d %s", want, a.status, a.body)
	}
}

// Every page names the favicon, and /favicon.ico (which browsers ask for
// anyway) is the app's icon, not a 404 in the log.
func TestFavicon(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.do(nil, http.MethodGet, "/favicon.ico", "")
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "image/x-icon" || !bytes.HasPrefix(a.body, []byte{0, 0, 1, 0}) {
		t.Fatalf("favicon: %d %s %.20q", a.status, a.header.Get("Content-Type"), a.body)
	}
	if a := e.do(nil, http.MethodGet, "/static/favicon.png", ""); a.status != http.StatusOK || a.header.Get("Content-Type") != "image/png" {
		t.Fatalf("touch icon: %d %s", a.status, a.header.Get("Content-Type"))
	}
	for _, page := range []string{"/auth/dev", "/dashboard"} {
		c := e.signIn("petr@example.com")
		if a := e.do(c, http.MethodGet, page, ""); !strings.Contains(string(a.body), `<link rel="icon" href="/favicon.ico"`) {
			t.Errorf("%s names no favicon: %.300s", page, a.body)
		}
	}
}

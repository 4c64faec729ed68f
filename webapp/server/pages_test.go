package server_test

import (
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

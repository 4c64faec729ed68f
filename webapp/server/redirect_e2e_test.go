package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// offSite are next= values that browsers turn into another site's URL.
var offSite = []string{
	"/\t/evil.example", // the review's next=/%09/evil.example: Chromium drops the tab
	"/\n/evil.example", "//evil.example", "/\\evil.example", "\\/evil.example",
	"https://evil.example/", "/%09/evil.example", "/%5Cevil.example",
}

// sameSite checks that a Location answer stays on the webapp.
func sameSite(t *testing.T, base, loc string) *url.URL {
	t.Helper()
	b, _ := url.Parse(base)
	u, err := b.Parse(loc)
	if err != nil || u.Host != b.Host || strings.ContainsAny(loc, "\t\r\n\\") || strings.HasPrefix(loc, "//") {
		t.Fatalf("redirect to %q leaves the site", loc)
	}
	return u
}

// No next= from a request makes the webapp redirect off-site: neither the
// login link, nor the development form, nor gin's trailing-slash redirect
// with a forged X-Forwarded-Prefix.
func TestRedirectsStayOnSite(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, next := range offSite {
		// GET /auth/login?next= (dev mode: on to the dev form, next carried along).
		a := e.do(nil, http.MethodGet, "/auth/login?"+url.Values{"next": {next}}.Encode(), "")
		if a.status != http.StatusFound {
			t.Fatalf("login: %d", a.status)
		}
		u := sameSite(t, e.url, a.header.Get("Location"))
		if got := u.Query().Get("next"); got != "/dashboard" {
			t.Errorf("login next=%q carried on as %q", next, got)
		}
		// The dev page's hidden field.
		page := string(e.do(nil, http.MethodGet, "/auth/dev?"+url.Values{"next": {next}}.Encode(), "").body)
		if !strings.Contains(page, `name="next" value="/dashboard"`) {
			t.Errorf("dev page kept next=%q", next)
		}
		// POST /auth/dev/login with a forged next.
		resp, err := e.browser().PostForm(e.url+"/auth/dev/login", url.Values{"email": {"petr@example.com"}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/dashboard" {
			t.Errorf("dev sign-in with next=%q: %d to %q", next, resp.StatusCode, loc)
		}
	}
	// A same-site next is kept.
	resp, err := e.browser().PostForm(e.url+"/auth/dev/login", url.Values{"email": {"petr@example.com"}, "next": {"/desktop/link?x=1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/desktop/link?x=1" {
		t.Errorf("same-site next became %q", loc)
	}
	// gin's trailing-slash redirect believes X-Forwarded-Prefix from anyone;
	// it must still stay on this site.
	for _, p := range []string{"/dashboard/", "/static", "/auth/login/"} {
		a := e.do(nil, http.MethodGet, p, "", "X-Forwarded-Prefix", "//evil.example")
		if a.status/100 == 3 {
			sameSite(t, e.url, a.header.Get("Location"))
		}
	}
}

package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/signin"
)

// oidcEnv is a webapp signing in against a real local OpenID provider
// (mockoidc: discovery, JWKS, authorize, token with PKCE, signed ID tokens).
func oidcEnv(t *testing.T) (*env, *mockoidc.MockOIDC) {
	t.Helper()
	return oidcEnvWith(t, signin.Rules{Domains: []string{"keboola.com"}, Map: map[string]string{"boss@keboola.com": "petr"}})
}

func oidcEnvWith(t *testing.T, rules signin.Rules) (*env, *mockoidc.MockOIDC) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	e := newEnv(t, envOpts{
		env: []string{"AUTH_MODE=oidc", "OIDC_ISSUER=" + cfg.Issuer, "OIDC_CLIENT_ID=" + cfg.ClientID,
			"OIDC_CLIENT_SECRET=" + cfg.ClientSecret, "OIDC_ALLOWED_DOMAINS=" + strings.Join(rules.Domains, ","),
			"OIDC_ALLOWED_EMAILS=" + strings.Join(rules.Emails, ","), "WEBAPP_PRIMARY_DOMAIN=" + rules.Primary},
		rules: &rules, // with its username map in memory
	})
	return e, m
}

// follow walks redirects by hand (the browser client does not follow) and
// returns the final answer and the URLs visited.
func follow(t *testing.T, c *http.Client, start string) (answer, []string) {
	t.Helper()
	u := start
	var seen []string
	for i := 0; i < 10; i++ {
		seen = append(seen, u)
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 3 {
			return answer{status: resp.StatusCode, header: resp.Header, body: b}, seen
		}
		next, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		u = next.String()
	}
	t.Fatal("redirect loop")
	return answer{}, nil
}

func TestOIDCSignInEndToEnd(t *testing.T) {
	e, m := oidcEnv(t)
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "jane.doe@keboola.com", EmailVerified: true})
	c := e.browser()
	a, seen := follow(t, c, e.url+protocol.PathDesktopLink)
	if a.status != 200 || !strings.Contains(string(a.body), "Signed in as <strong>jane.doe</strong>") {
		t.Fatalf("after sign-in: %d %s (via %v)", a.status, a.body, seen)
	}
	// The provider was asked with state, nonce and an S256 PKCE challenge.
	var authz *url.URL
	for _, s := range seen {
		if strings.HasPrefix(s, m.AuthorizationEndpoint()) {
			authz, _ = url.Parse(s)
		}
	}
	if authz == nil {
		t.Fatalf("never went to the provider: %v", seen)
	}
	q := authz.Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("authorize request without %s", k)
		}
	}
	if q.Get("code_challenge_method") != "S256" {
		t.Errorf("PKCE method %q", q.Get("code_challenge_method"))
	}
	// Signed in: authorize works and issues a token for the mapped username.
	tok := e.authorize(c)
	cl, err := protocol.VerifyToken(e.cfg.Secret, e.cfg.Issuer, tok, cl0())
	if err != nil || cl.Subject != "jane.doe" {
		t.Fatalf("token %v %+v", err, cl)
	}

	// The username map overrides the local part.
	m.QueueUser(&mockoidc.MockUser{Subject: "2", Email: "boss@keboola.com", EmailVerified: true})
	a, _ = follow(t, e.browser(), e.url+"/dashboard")
	if !strings.Contains(string(a.body), `<span class="user" title="boss@keboola.com">petr</span>`) {
		t.Fatalf("mapped user: %s", a.body)
	}
	// Dev sign-in does not exist in OIDC mode.
	if a := e.do(nil, http.MethodPost, "/auth/dev/login", ""); a.status != 404 && a.status != 405 {
		t.Fatalf("dev login in oidc mode: %d", a.status)
	}
}

func TestOIDCRefusesOtherDomainAndUnverified(t *testing.T) {
	e, m := oidcEnv(t)
	m.QueueUser(&mockoidc.MockUser{Subject: "3", Email: "mallory@evil.example", EmailVerified: true})
	c := e.browser()
	a, _ := follow(t, c, e.url+"/dashboard")
	if a.status != 403 || !strings.Contains(string(a.body), "not allowed to sign in") {
		t.Fatalf("other domain: %d %s", a.status, a.body)
	}
	if a := e.do(c, http.MethodGet, "/dashboard", ""); a.status != 302 {
		t.Fatalf("refused user got a session: %d", a.status)
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "4", Email: "eve@keboola.com", EmailVerified: false})
	a, _ = follow(t, e.browser(), e.url+"/dashboard")
	if a.status != 403 {
		t.Fatalf("unverified email: %d %s", a.status, a.body)
	}
}

// Two allowed domains: petr@keboola.com signs in as petr; petr@other.example
// only through its username map entry, and jana@other.example, allowed but
// not mapped, is refused with a page that says what to do.
func TestOIDCSecondDomainNeedsMapping(t *testing.T) {
	e, m := oidcEnvWith(t, signin.Rules{Domains: []string{"keboola.com", "other.example"}, Primary: "keboola.com",
		Map: map[string]string{"petr@other.example": "petr_other"}})
	for email, want := range map[string]string{"petr@keboola.com": "petr", "petr@other.example": "petr_other"} {
		m.QueueUser(&mockoidc.MockUser{Subject: email, Email: email, EmailVerified: true})
		a, _ := follow(t, e.browser(), e.url+"/dashboard")
		if a.status != 200 || !strings.Contains(string(a.body), `title="`+email+`">`+want+`</span>`) {
			t.Fatalf("%s: %d, want signed in as %s: %s", email, a.status, want, a.body)
		}
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "j", Email: "jana@other.example", EmailVerified: true})
	c := e.browser()
	a, _ := follow(t, c, e.url+"/dashboard")
	if a.status != 403 || !strings.Contains(string(a.body), "only addresses at @keboola.com sign in under their own name") ||
		!strings.Contains(string(a.body), "OIDC_USERNAME_MAP") {
		t.Fatalf("unmapped address at the second domain: %d %s", a.status, a.body)
	}
	if a := e.do(c, http.MethodGet, "/dashboard", ""); a.status != 302 {
		t.Fatalf("refused user got a session: %d", a.status)
	}
}

func TestOIDCForgedStateAndReplay(t *testing.T) {
	e, m := oidcEnv(t)
	c := e.browser()
	// Step by step: webapp -> provider -> callback URL (not yet visited).
	resp, err := c.Get(e.url + "/auth/login?next=/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	providerURL := resp.Header.Get("Location")
	if !strings.HasPrefix(providerURL, m.AuthorizationEndpoint()) {
		t.Fatalf("login went to %q", providerURL)
	}
	callback := func() *url.URL {
		m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "jane.doe@keboola.com", EmailVerified: true})
		resp, err := c.Get(providerURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || u.Path != "/auth/callback" {
			t.Fatalf("provider redirected to %q", resp.Header.Get("Location"))
		}
		return u
	}
	good := callback()

	// A callback from another browser (no sign-in cookie): refused.
	if a := e.do(nil, http.MethodGet, good.RequestURI(), ""); a.status != 400 {
		t.Fatalf("callback without flow cookie: %d %s", a.status, a.body)
	}
	// A forged state: refused, and the attempt is used up.
	forged := *good
	q := forged.Query()
	q.Set("state", "forged-"+q.Get("state"))
	forged.RawQuery = q.Encode()
	if a := e.do(c, http.MethodGet, forged.RequestURI(), "", "Accept", "text/html"); a.status != 400 ||
		!strings.Contains(string(a.body), "state does not match") {
		t.Fatalf("forged state: %d %s", a.status, a.body)
	}
	// Replaying the genuine callback after that: the attempt is gone.
	if a := e.do(c, http.MethodGet, good.RequestURI(), ""); a.status != 400 {
		t.Fatalf("replayed callback: %d %s", a.status, a.body)
	}
	if a := e.do(c, http.MethodGet, "/dashboard", ""); a.status != 302 {
		t.Fatalf("signed in after forged/replayed callbacks: %d", a.status)
	}
	// An open redirect through next= is not possible: the whole flow
	// (login, provider, callback with the flow cookie) ends on the dashboard.
	for _, next := range append(offSite, "//evil.example/x") {
		m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "jane.doe@keboola.com", EmailVerified: true})
		_, seen := follow(t, e.browser(), e.url+"/auth/login?"+url.Values{"next": {next}}.Encode())
		if last := seen[len(seen)-1]; last != e.url+"/dashboard" {
			t.Fatalf("next=%q ended at %s", next, last)
		}
	}
}

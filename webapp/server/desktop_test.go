package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/links"
)

func TestHealth(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.do(nil, http.MethodGet, "/health", "")
	if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"status":"ok"}` {
		t.Fatalf("health: %d %s", a.status, a.body)
	}
}

func TestLinkPageNeedsSignIn(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.do(nil, http.MethodGet, protocol.PathDesktopLink, "")
	if a.status != http.StatusFound || a.header.Get("Location") != "/auth/login?next=%2Fdesktop%2Flink" {
		t.Fatalf("anonymous link page: %d %q", a.status, a.header.Get("Location"))
	}
	c := e.signIn("petr@example.com")
	a = e.do(c, http.MethodGet, protocol.PathDesktopLink, "")
	if a.status != 200 || !strings.Contains(string(a.body), `id="authorize"`) ||
		!strings.Contains(string(a.body), "Signed in as <strong>petr</strong>") {
		t.Fatalf("link page: %d %s", a.status, a.body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if a.header.Get(h) == "" {
			t.Errorf("link page without %s", h)
		}
	}
}

func TestAuthorizeIssuesTokenAndMarksLinked(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.do(nil, http.MethodPost, protocol.PathDesktopAuthorize, "").errorBody(t, 401, "unauthorized")

	c := e.signIn("Petr@Example.com")
	before := time.Now().Truncate(time.Second)
	tok := e.authorize(c)
	claims, err := protocol.VerifyToken(e.cfg.Secret, e.cfg.Issuer, tok, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "petr" || claims.Issuer != "data-analyst" {
		t.Fatalf("claims %+v", claims)
	}
	if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life != 30*24*time.Hour {
		t.Fatalf("lifetime %s", life)
	}
	// The seed's file format, exactly, written with mode 0660.
	path := filepath.Join(e.dataDir, links.UsersFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var users map[string]map[string]string
	if err := json.Unmarshal(b, &users); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, users["petr"]["linked_at"])
	if err != nil || at.Before(before) || len(users["petr"]) != 1 {
		t.Fatalf("desktop_users.json: %s", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o660 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	// The gateway accepts the token.
	if typ, _ := e.connect(tok); typ != protocol.TypeAuthOK {
		t.Fatalf("gateway answered %s", typ)
	}
}

func TestCrossOriginPostsRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.signIn("petr@example.com")
	for _, path := range []string{protocol.PathDesktopAuthorize, protocol.PathDesktopUnlink, "/dashboard/scripts/run", "/auth/logout"} {
		a := e.do(c, http.MethodPost, path, `{}`, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if a.status != http.StatusForbidden {
			t.Errorf("%s cross-site: %d %s", path, a.status, a.body)
		}
		a = e.do(c, http.MethodPost, path, `{}`, "Origin", "https://evil.example")
		if a.status != http.StatusForbidden {
			t.Errorf("%s other Origin: %d %s", path, a.status, a.body)
		}
	}
	// The dev sign-in form too (login CSRF).
	a := e.do(nil, http.MethodPost, "/auth/dev/login", "", "Sec-Fetch-Site", "cross-site")
	if a.status != http.StatusForbidden {
		t.Errorf("cross-site dev login: %d", a.status)
	}
	if _, ok := e.srv.Links.Linked("petr"); ok {
		t.Fatal("a refused cross-origin authorize linked the user")
	}
	// Same-origin browser requests pass.
	a = e.do(c, http.MethodPost, protocol.PathDesktopAuthorize, "", "Sec-Fetch-Site", "same-origin", "Origin", e.url)
	if a.status != 200 {
		t.Fatalf("same-origin authorize: %d %s", a.status, a.body)
	}
	// Bearer calls from the app are not affected by Origin headers.
	tok := e.gw.Token(t, "petr")
	a = e.do(nil, http.MethodPost, protocol.PathDesktopRefresh, "", "Authorization", "Bearer "+tok,
		"Origin", "wails://wails", "Sec-Fetch-Site", "cross-site")
	if a.status != 200 {
		t.Fatalf("bearer refresh with foreign Origin: %d %s", a.status, a.body)
	}
}

func issueAt(t *testing.T, secret []byte, issuer, user string, at time.Time) string {
	t.Helper()
	tok, _, err := protocol.IssueToken(secret, issuer, user, at)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRefresh(t *testing.T) {
	e := newEnv(t, envOpts{})
	now := time.Now()
	life := protocol.TokenLifetime
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"valid", issueAt(t, e.cfg.Secret, e.cfg.Issuer, "ana", now.Add(-time.Hour)), 200},
		{"expired 6 days 23 hours ago (inside grace)", issueAt(t, e.cfg.Secret, e.cfg.Issuer, "ana", now.Add(-life-7*24*time.Hour+time.Hour)), 200},
		{"expired 7 days 1 hour ago (outside grace)", issueAt(t, e.cfg.Secret, e.cfg.Issuer, "ana", now.Add(-life-7*24*time.Hour-time.Hour)), 401},
		{"wrong secret", issueAt(t, []byte("another-secret-0123456789abcdef0123"), e.cfg.Issuer, "ana", now), 401},
		{"wrong issuer", issueAt(t, e.cfg.Secret, "someone-else", "ana", now), 401},
		{"HS512", signWith(t, jwt.SigningMethodHS512, e.cfg.Secret, "ana"), 401},
		{"alg none", signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "ana"), 401},
		{"garbage", "not-a-token", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.bearer(http.MethodPost, protocol.PathDesktopRefresh, tc.token, "")
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.status != 200 {
				a.errorBody(t, 401, "")
				return
			}
			var r protocol.RefreshResponse
			a.json(t, &r)
			c, err := protocol.VerifyToken(e.cfg.Secret, e.cfg.Issuer, r.Token, time.Now())
			if err != nil || c.Subject != "ana" {
				t.Fatalf("refreshed token: %v %+v", err, c)
			}
			if len(a.body) == 0 || !strings.HasPrefix(string(a.body), `{"token":`) {
				t.Fatalf("shape: %s", a.body)
			}
		})
	}
	// Missing or malformed Authorization headers.
	for _, h := range []string{"", "Bearer", "Bearer ", "Basic abc", "Token " + cases[0].token} {
		a := e.do(nil, http.MethodPost, protocol.PathDesktopRefresh, "", "Authorization", h)
		a.errorBody(t, 401, "unauthorized")
	}
	// A refresh marks the user linked, as any authenticated call does.
	if _, ok := e.srv.Links.Linked("ana"); !ok {
		t.Fatal("refresh did not mark the user linked")
	}
}

func signWith(t *testing.T, m jwt.SigningMethod, key any, user string) string {
	t.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(m, jwt.RegisteredClaims{
		Subject: user, Issuer: protocol.DefaultIssuer, IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUnlinkRevokesOnWebappAndGateway(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.script("petr", "alert.py", `import json; print(json.dumps({"notify": False}))`)
	c := e.signIn("petr@example.com")

	// Not linked yet: 400 {"error"}.
	e.do(c, http.MethodPost, protocol.PathDesktopUnlink, "").errorBody(t, 400, "not_linked")
	e.do(nil, http.MethodPost, protocol.PathDesktopUnlink, "").errorBody(t, 401, "unauthorized")

	old := e.authorize(c)
	typ, live := e.connect(old)
	if typ != protocol.TypeAuthOK {
		t.Fatalf("gateway: %s", typ)
	}
	if a := e.bearer(http.MethodGet, protocol.PathDesktopScripts, old, ""); a.status != 200 {
		t.Fatalf("scripts before unlink: %d %s", a.status, a.body)
	}

	a := e.do(c, http.MethodPost, protocol.PathDesktopUnlink, "")
	if a.status != 200 {
		t.Fatalf("unlink: %d %s", a.status, a.body)
	}
	var u protocol.UnlinkResponse
	a.json(t, &u)
	if !u.OK || u.Message == "" {
		t.Fatalf("unlink answer %s", a.body)
	}
	if _, ok := e.srv.Links.Linked("petr"); ok {
		t.Fatal("still linked")
	}
	b, _ := os.ReadFile(filepath.Join(e.dataDir, links.UsersFile))
	if strings.Contains(string(b), "petr") {
		t.Fatalf("desktop_users.json still has the user: %s", b)
	}

	// The live connection is closed by the gateway, with auth_error.
	if f := live.next(5 * time.Second); f != nil && f["type"] != protocol.TypeAuthError {
		t.Fatalf("live connection got %v instead of being closed", f)
	}
	if f := live.next(2 * time.Second); f != nil {
		t.Fatalf("connection still open: %v", f)
	}
	// The old token is refused everywhere: webapp Bearer calls, refresh, gateway.
	e.bearer(http.MethodGet, protocol.PathDesktopScripts, old, "").errorBody(t, 401, "token_revoked")
	e.bearer(http.MethodPost, protocol.PathDesktopRefresh, old, "").errorBody(t, 401, "token_revoked")
	e.bearer(http.MethodPost, protocol.PathDesktopRunScript, old, `{"name":"alert.py"}`).errorBody(t, 401, "token_revoked")
	if typ, _ := e.connect(old); typ != protocol.TypeAuthError {
		t.Fatalf("gateway accepted a revoked token: %s", typ)
	}
	// ... and refusing it did not mark the user linked again.
	if _, ok := e.srv.Links.Linked("petr"); ok {
		t.Fatal("a revoked token re-linked the user")
	}
	// Also after the gateway restarts.
	e.gw.Restart(t)
	if typ, _ := e.connect(old); typ != protocol.TypeAuthError {
		t.Fatalf("gateway accepted a revoked token after restart: %s", typ)
	}

	// A new authorization works as before, right away.
	start := time.Now()
	fresh := e.authorize(c)
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("authorize after unlink took %s", took)
	}
	if typ, _ := e.connect(fresh); typ != protocol.TypeAuthOK {
		t.Fatalf("gateway refused the new token: %s", typ)
	}
	if a := e.bearer(http.MethodPost, protocol.PathDesktopRefresh, fresh, ""); a.status != 200 {
		t.Fatalf("refresh with new token: %d %s", a.status, a.body)
	}
	// The cutoff survives a webapp restart (it is on disk).
	store, err := links.Open(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if store.Cutoff("petr") == 0 {
		t.Fatal("cutoff not persisted")
	}
}

func TestUnlinkWithGatewayDownIsRetried(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.signIn("petr@example.com")
	old := e.authorize(c)
	e.gw.Stop()
	a := e.do(c, http.MethodPost, protocol.PathDesktopUnlink, "")
	if a.status != 200 {
		t.Fatalf("unlink with gateway down: %d %s", a.status, a.body)
	}
	if n := e.srv.PendingRevocations(); n != 1 {
		t.Fatalf("pending revocations %d, want 1", n)
	}
	if !strings.Contains(e.logs.String(), "gateway not told about unlink yet") {
		t.Fatalf("not logged: %s", e.logs.String())
	}
	e.gw.Restart(t)
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	go e.srv.SyncRevocations(ctx, 50*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.PendingRevocations() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := e.srv.PendingRevocations(); n != 0 {
		t.Fatalf("still pending after the gateway came back: %d", n)
	}
	if typ, _ := e.connect(old); typ != protocol.TypeAuthError {
		t.Fatalf("gateway accepts the token revoked while it was down: %s", typ)
	}
}

// A webapp that restarts tells the gateway every stored cutoff again, so a
// gateway whose state was lost (or that missed an unlink) catches up.
func TestStoredCutoffsSentAtStart(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.signIn("petr@example.com")
	old := e.authorize(c)
	e.gw.Stop()
	if a := e.do(c, http.MethodPost, protocol.PathDesktopUnlink, ""); a.status != 200 {
		t.Fatal(a.status)
	}
	e.gw.Restart(t)
	// A second webapp on the same DATA_DIR, as after a restart: nothing pending in memory.
	e2 := newEnvOnData(t, e)
	if e2.srv.PendingRevocations() != 0 {
		t.Fatal("fresh server has pending work")
	}
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	go e2.srv.SyncRevocations(ctx, time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		typ, ws := e.connect(old)
		ws.conn.Close() // never hold more than one (the per-user limit would refuse the 6th)
		if typ == protocol.TypeAuthError {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("gateway still accepts a token revoked before the webapp restarted")
}

func TestDownloadsAndLogout(t *testing.T) {
	e := newEnv(t, envOpts{})
	dl := filepath.Join(e.dataDir, "downloads")
	os.MkdirAll(dl, 0o755)
	os.WriteFile(filepath.Join(dl, "AnalystAlerts-1.0.dmg"), []byte("package"), 0o644)
	os.WriteFile(filepath.Join(dl, "notes.txt"), []byte("not offered"), 0o644)
	c := e.signIn("petr@example.com")
	page := string(e.do(c, http.MethodGet, "/dashboard", "").body)
	if !strings.Contains(page, `href="/download/AnalystAlerts-1.0.dmg"`) || strings.Contains(page, "notes.txt") {
		t.Fatalf("downloads on the dashboard: %s", page)
	}
	a := e.do(c, http.MethodGet, "/download/AnalystAlerts-1.0.dmg", "")
	if a.status != 200 || string(a.body) != "package" || !strings.Contains(a.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", a.status, a.header)
	}
	for _, bad := range []string{"notes.txt", "..%2Fdesktop_users.json", "x.dmg"} {
		if a := e.do(c, http.MethodGet, "/download/"+bad, ""); a.status != 404 {
			t.Errorf("%s: %d", bad, a.status)
		}
	}
	if a := e.do(nil, http.MethodGet, "/download/AnalystAlerts-1.0.dmg", ""); a.status != 302 {
		t.Fatalf("anonymous download: %d", a.status)
	}
	// Sign out clears the session.
	if a := e.do(c, http.MethodPost, "/auth/logout", ""); a.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", a.status)
	}
	if a := e.do(c, http.MethodGet, "/dashboard", ""); a.status != 302 {
		t.Fatalf("still signed in after logout: %d", a.status)
	}
}

// Beyond the seed, the app can unlink itself with its token (its sign-out):
// every token of the user stops working, the live connection is closed.
func TestUnlinkByBearer(t *testing.T) {
	e := newEnv(t, envOpts{})
	tok := e.gw.Token(t, "ana")
	typ, live := e.connect(tok)
	if typ != protocol.TypeAuthOK {
		t.Fatal(typ)
	}
	// A foreign Origin does not matter for a Bearer call.
	a := e.do(nil, http.MethodPost, protocol.PathDesktopUnlink, "", "Authorization", "Bearer "+tok,
		"Origin", "wails://wails", "Sec-Fetch-Site", "cross-site")
	if a.status != 200 {
		t.Fatalf("bearer unlink: %d %s", a.status, a.body)
	}
	if f := live.next(5 * time.Second); f != nil && f["type"] != protocol.TypeAuthError {
		t.Fatalf("live connection not closed: %v", f)
	}
	e.bearer(http.MethodPost, protocol.PathDesktopUnlink, tok, "").errorBody(t, 401, "token_revoked")
	e.bearer(http.MethodPost, protocol.PathDesktopRefresh, tok, "").errorBody(t, 401, "token_revoked")
	// A bad token never falls back to the session.
	c := e.signIn("ana@example.com")
	e.do(c, http.MethodPost, protocol.PathDesktopUnlink, "", "Authorization", "Bearer nope").errorBody(t, 401, "unauthorized")
}

// TestAuthorizeHandsBackTheAppsState: the app opens /desktop/link with its
// one-time value; the page passes it to authorize, whose link carries it
// back. Without one the answer is the seed's; a malformed one is refused.
func TestAuthorizeHandsBackTheAppsState(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.signIn("petr@example.com")
	state := "Zq3_-abcdefghijklmnopqrstuvwxyz0123456789AB"
	a := e.do(c, http.MethodGet, protocol.PathDesktopLink+"?state="+state, "")
	if a.status != 200 || !strings.Contains(string(a.body), `data-state="`+state+`"`) {
		t.Fatalf("link page with state: %d %s", a.status, a.body)
	}
	e.do(c, http.MethodGet, protocol.PathDesktopLink+"?state=%22%3E%3Cscript%3E", "").errorBody(t, 400, "bad_request")

	var r protocol.AuthorizeResponse
	e.do(c, http.MethodPost, protocol.PathDesktopAuthorize, `{"state":"`+state+`"}`).json(t, &r)
	link, err := protocol.ParseSignInLink(r.URL, "")
	if err != nil || link.State != state || link.Token == "" {
		t.Fatalf("authorize with state: %q %+v %v", r.URL, link, err)
	}
	e.do(c, http.MethodPost, protocol.PathDesktopAuthorize, `{}`).json(t, &r)
	if link, err := protocol.ParseSignInLink(r.URL, ""); err != nil || link.State != "" || strings.Contains(r.URL, "state") {
		t.Fatalf("authorize without state: %q %v", r.URL, err)
	}
	e.do(c, http.MethodPost, protocol.PathDesktopAuthorize, `{"state":"a&b"}`).errorBody(t, 400, "bad_request")
	e.do(c, http.MethodPost, protocol.PathDesktopAuthorize, `not json`).errorBody(t, 400, "bad_request")
}

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/desktop/auth"
	"github.com/keboola/analyst-alerts/desktop/config"
	"github.com/keboola/analyst-alerts/desktop/connection"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	keyring.MockInit()
	webapptest.Main(m)
}

// recorder stands in for the window, the tray badge and the OS
// notification center, and records what the app asked of them.
type recorder struct {
	mu      sync.Mutex
	notes   []string // "id|title|body"
	events  []string
	unread  int
	shown   int
	noteCh  chan string
	stateCh chan State
}

func newRecorder() *recorder {
	return &recorder{noteCh: make(chan string, 100), stateCh: make(chan State, 1000)}
}

func (r *recorder) Notify(id, title, body string) error {
	n := id + "|" + title + "|" + body
	r.mu.Lock()
	r.notes = append(r.notes, n)
	r.mu.Unlock()
	r.noteCh <- n
	return nil
}
func (r *recorder) Emit(ev string, data any) {
	r.mu.Lock()
	r.events = append(r.events, fmt.Sprintf("%s %v", ev, data))
	r.mu.Unlock()
	if s, ok := data.(State); ok {
		select {
		case r.stateCh <- s:
		default:
		}
	}
}
func (r *recorder) Show()           { r.mu.Lock(); r.shown++; r.mu.Unlock() }
func (r *recorder) SetUnread(n int) { r.mu.Lock(); r.unread = n; r.mu.Unlock() }

func (r *recorder) waitNote(t *testing.T) string {
	t.Helper()
	select {
	case n := <-r.noteCh:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no native notification")
		return ""
	}
}

func (r *recorder) waitState(t *testing.T, ok func(State) bool) State {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-r.stateCh:
			if ok(s) {
				return s
			}
		case <-timeout:
			t.Fatal("state not reached")
		}
	}
}

func connected(s State) bool { return s.Connection.State == connection.Connected }

// waitLive waits until the app takes alerts as new: connected, and the
// replay the link asked for (the kept history, or what was missed since its
// cursor; more than CoalesceAbove get one summary banner) is delivered.
// What the gateway sends before that counts as part of the replay.
func waitLive(t *testing.T, a *App) {
	t.Helper()
	waitFor(t, "the replay after connecting to end", func() bool {
		s := a.State()
		return connected(s) && !s.Connection.CatchingUp
	})
}

type env struct {
	opened chan string // pages the app opened in "the browser"
	gw     *gatewaytest.Gateway
	web    *webapptest.Webapp
	cfg    config.Config
}

// newEnv runs the real webapp and gateway (webapptest) with petr's script
// revenue_check.py and a chart, and the app's configuration for them.
func newEnv(t *testing.T) *env {
	web := webapptest.Start(t, webapptest.Options{})
	e := &env{gw: web.Gateway, web: web}
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	png.Encode(&b, img)
	web.Image(t, "abc.png", b.Bytes())
	web.Script(t, "petr", "revenue_check.py",
		`import json; print(json.dumps({"notify": True, "title": "revenue_check ran", "message": "Manual run finished.", "cooldown": "1m"}))`)
	e.cfg = appConfig(t, web.URL, e.gw.WSURL, "test-"+strings.ReplaceAll(t.Name(), "/", "-"))
	return e
}

// appConfig is the app's configuration for a webapp and gateway, in a
// temporary home with its own keyring entry.
func appConfig(t *testing.T, webURL, wsURL, keyring string) config.Config {
	home := t.TempDir()
	cfg, err := config.FromEnviron([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + home + "/cfg",
		"XDG_CACHE_HOME=" + home + "/cache", config.EnvServerURL + "=" + webURL, config.EnvWSURL + "=" + wsURL,
		config.EnvKeyringName + "=" + keyring})
	if err != nil {
		t.Fatal(err)
	}
	auth.OSKeychain{Service: cfg.KeyringService}.Delete() // the mock keyring is per process
	return cfg
}

func (e *env) start(t *testing.T, r *recorder) *App {
	if e.opened == nil {
		e.opened = make(chan string, 10)
	}
	a, err := New(Deps{Config: e.cfg, Notifier: r, UI: r, Badge: r,
		Browser: func(u string) error { e.opened <- u; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(a.Stop)
	return a
}

// requestSignIn clicks Sign in and returns the one-time value the app put
// in the portal's address.
func (e *env) requestSignIn(t *testing.T, a *App) string {
	t.Helper()
	if err := a.API().SignIn(); err != nil {
		t.Fatal(err)
	}
	select {
	case raw := <-e.opened:
		u, err := url.Parse(raw)
		if err != nil || u.Path != protocol.PathDesktopLink || u.Query().Get(protocol.LinkStateParam) == "" {
			t.Fatalf("sign-in page %q", raw)
		}
		return u.Query().Get(protocol.LinkStateParam)
	case <-time.After(5 * time.Second):
		t.Fatal("Sign in opened no page")
		return ""
	}
}

// signIn is the proper flow: Sign in opens the portal with a one-time
// value; the user, signed in to the real webapp, clicks Authorize, and the
// webapp hands the value back in the link with a token it issued.
func (e *env) signIn(t *testing.T, a *App, user string) error {
	t.Helper()
	state := e.requestSignIn(t, a)
	return a.HandleDeepLink(e.web.Authorize(t, e.web.Browser(t, user+"@example.com"), state))
}

// startSignedIn starts an app signed in as user by the proper flow and
// waits until it is connected to the gateway.
func (e *env) startSignedIn(t *testing.T, user string) (*App, *recorder) {
	t.Helper()
	r := newRecorder()
	a := e.start(t, r)
	if err := e.signIn(t, a, user); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, connected)
	return a, r
}

func (e *env) dispatch(t *testing.T, n protocol.Notification) {
	t.Helper()
	c := e.gw.Client()
	defer c.Close()
	if _, err := c.Dispatch(context.Background(), "petr", n); err != nil {
		t.Fatal(err)
	}
}

func TestSignInNotifyRestartResumeWithSummary(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	a := e.start(t, r)
	if s := a.State(); s.Connection.State != connection.SignedOut || s.Account.SignedIn {
		t.Fatalf("fresh app: %+v", s)
	}
	if err := a.HandleDeepLink("keboola-analyst://evil?token=x.y.z"); err == nil {
		t.Fatal("hostile link accepted")
	}
	a.HandleArgs([]string{"/usr/bin/app", protocol.DeepLinkWithState("", e.gw.Token(t, "petr"), e.requestSignIn(t, a))})
	s := r.waitState(t, connected)
	if s.Account.Username != "petr" || s.Connection.Username != "petr" {
		t.Fatalf("state %+v", s)
	}
	waitLive(t, a)
	e.dispatch(t, protocol.Notification{ID: "n1", Title: "Revenue <b>drop</b>", Message: "line1\nline2", Script: "revenue_check",
		ImageURL: "/api/notifications/images/abc.png"})
	if n := r.waitNote(t); n != "n1|Revenue <b>drop</b>|line1\nline2" {
		t.Fatalf("notification %q", n)
	}
	if a.State().Unread != 1 {
		t.Fatal("unread")
	}
	r.mu.Lock()
	unread := r.unread
	r.mu.Unlock()
	if unread != 1 {
		t.Fatalf("badge %d", unread)
	}

	// The chart is fetched with the token and served from the app's origin.
	for i := 0; i < 2; i++ {
		rec := httptest.NewRecorder()
		a.ServeChart(rec, httptest.NewRequest("GET", "/chart/n1", nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("chart: %d %s", rec.Code, rec.Body)
		}
	}
	if imgs := e.web.Requests("GET", "/api/notifications/images/abc.png"); imgs != 1 {
		t.Fatalf("image fetched %d times, want 1 (cached)", imgs)
	}
	rec := httptest.NewRecorder()
	a.ServeChart(rec, httptest.NewRequest("GET", "/chart/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatal("missing chart")
	}

	// Quit; five alerts arrive; start again: the token is still there, the
	// five are resumed into the list, and one summary replaces five banners.
	a.Stop()
	for i := 2; i <= 6; i++ {
		e.dispatch(t, protocol.Notification{ID: fmt.Sprint("n", i), Title: "t"})
	}
	r2 := newRecorder()
	a2 := e.start(t, r2)
	r2.waitState(t, connected)
	if n := r2.waitNote(t); n != "summary|5 alerts while you were away|Open the list to see them." {
		t.Fatalf("summary %q", n)
	}
	waitLive(t, a2) // the whole replay delivered: any banner of it is recorded
	r2.mu.Lock()
	notes := len(r2.notes)
	r2.mu.Unlock()
	if notes != 1 {
		t.Fatalf("%d notifications, want the summary only", notes)
	}
	list := a2.API().Notifications()
	if len(list) != 6 || list[0].ID != "n6" || list[5].ID != "n1" || a2.State().Unread != 6 {
		t.Fatalf("list %d unread %d", len(list), a2.State().Unread)
	}
	a2.HandleNotificationClick(SummaryID)
	r2.mu.Lock()
	last := r2.events[len(r2.events)-1]
	r2.mu.Unlock()
	if !strings.Contains(last, "open {list") {
		t.Fatalf("click opened %q", last)
	}
}

func TestRunScriptResultArrivesAsNotification(t *testing.T) {
	e := newEnv(t)
	a, r := e.startSignedIn(t, "petr")
	waitLive(t, a)
	api := a.API()
	list, err := api.Scripts()
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	if err := api.RunScript("revenue_check.py"); err != nil {
		t.Fatal(err)
	}
	if n := r.waitNote(t); !strings.Contains(n, "|revenue_check ran|") {
		t.Fatalf("result %q", n)
	}
	id := api.Notifications()[0].ID
	if err := api.RunAgain(id); err != nil {
		t.Fatal(err)
	}
	r.waitNote(t)
	if runs := e.web.Requests("POST", protocol.PathDesktopRunScript); runs != 2 {
		t.Fatalf("runs %d", runs)
	}
	if err := api.MarkRead(id); err != nil || a.State().Unread != 1 {
		t.Fatalf("mark read: %v %d", err, a.State().Unread)
	}
}

func TestRevokedTokenSignsOutWithNotice(t *testing.T) {
	e := newEnv(t)
	_, r := e.startSignedIn(t, "petr")
	// Unlink on the dashboard: the webapp refuses the token from now on
	// and tells the gateway, which closes the session with an auth_error.
	e.web.Unlink(t, e.web.Browser(t, "petr@example.com"))
	s := r.waitState(t, func(s State) bool { return !s.Account.SignedIn })
	if s.Notice != "Signed out — sign in again" || s.Connection.State != connection.SignedOut {
		t.Fatalf("state %+v", s)
	}
	kc := auth.OSKeychain{Service: e.cfg.KeyringService}
	if _, err := kc.Get(); !errors.Is(err, auth.ErrNoToken) {
		t.Fatal("token kept after refusal")
	}
}

func TestSignOutDisconnects(t *testing.T) {
	e := newEnv(t)
	a, r := e.startSignedIn(t, "petr")
	if err := a.API().SignOut(); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, func(s State) bool { return s.Connection.State == connection.SignedOut && !s.Account.SignedIn })
	c := e.gw.Client()
	defer c.Close()
	for i := 0; ; i++ {
		h, _ := c.Health(context.Background())
		if h.Connections == 0 {
			break
		}
		if i > 200 {
			t.Fatalf("still %d connections", h.Connections)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSignInLinkNeedsTheAppsValueOrTheUsersYes: any web page can open a
// sign-in link. A forged token changes nothing; a link this app did not ask
// for, or one for another account, waits for the user; the proper flow
// signs in.
func TestSignInLinkNeedsTheAppsValueOrTheUsersYes(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	a := e.start(t, r)
	kc := auth.OSKeychain{Service: e.cfg.KeyringService}
	// (A fresh app's list is [] for the page, not null: the page rendered
	// nothing after declining a sign-in with an empty list.)
	if b, _ := json.Marshal(a.API().Notifications()); string(b) != "[]" {
		t.Fatalf("empty list sent as %s", b)
	}

	// A token the server did not sign: refused, nothing stored.
	forged, _, err := protocol.IssueToken([]byte("not-the-servers-secret-0123456789abcdef"), e.gw.Issuer, "mallory", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.HandleDeepLink(protocol.DeepLink("", forged)); apperr.CodeOf(err) != apperr.BadLink {
		t.Fatalf("forged token: %v", err)
	}
	if s := a.State(); s.Account.SignedIn || s.PendingSignIn != nil || s.Notice != "The server does not accept this sign-in link" {
		t.Fatalf("after a forged link: %+v", s)
	}
	if _, err := kc.Get(); !errors.Is(err, auth.ErrNoToken) {
		t.Fatal("forged token stored")
	}

	// A real token without the app's value (a seed portal, or a page that
	// holds someone's token): the user is asked; declining changes nothing.
	r.mu.Lock()
	shown := r.shown
	r.mu.Unlock()
	if err := a.HandleDeepLink(protocol.DeepLink("", e.gw.Token(t, "mallory"))); err != nil {
		t.Fatal(err)
	}
	s := a.State()
	if s.Account.SignedIn || s.PendingSignIn == nil || *s.PendingSignIn != (PendingSignIn{Username: "mallory"}) {
		t.Fatalf("link without state: %+v", s)
	}
	r.mu.Lock()
	if r.shown == shown {
		t.Error("the window was not shown to ask")
	}
	r.mu.Unlock()
	a.API().CancelSignIn()
	if s := a.State(); s.Account.SignedIn || s.PendingSignIn != nil {
		t.Fatalf("after declining: %+v", s)
	}
	if err := a.API().ConfirmSignIn(); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("confirm with nothing waiting: %v", err)
	}

	// A value the app never made is no better than none.
	if err := a.HandleDeepLink(protocol.DeepLinkWithState("", e.gw.Token(t, "mallory"), "guessedguessedguessed")); err != nil {
		t.Fatal(err)
	}
	if s := a.State(); s.Account.SignedIn || s.PendingSignIn == nil || s.PendingSignIn.Requested {
		t.Fatalf("link with a wrong state: %+v", s)
	}
	a.API().CancelSignIn()

	// The proper flow signs in at once.
	if err := e.signIn(t, a, "petr"); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, connected)
	if s := a.State(); s.Account.Username != "petr" || s.PendingSignIn != nil {
		t.Fatalf("proper flow: %+v", s)
	}

	// Its value is used up: the same link again must ask.
	// A proper flow for another account asks too; confirming switches.
	st := e.requestSignIn(t, a)
	if err := a.HandleDeepLink(protocol.DeepLinkWithState("", e.gw.Token(t, "anna"), st)); err != nil {
		t.Fatal(err)
	}
	s = a.State()
	if s.Account.Username != "petr" || s.PendingSignIn == nil ||
		*s.PendingSignIn != (PendingSignIn{Username: "anna", Current: "petr", Requested: true}) {
		t.Fatalf("another account: %+v", s)
	}
	if tok, _ := kc.Get(); tok == "" || a.session.Account().Username != "petr" {
		t.Fatal("the account changed before the user confirmed")
	}
	if err := a.HandleDeepLink(protocol.DeepLinkWithState("", e.gw.Token(t, "petr"), st)); err != nil {
		t.Fatal(err)
	}
	if s := a.State(); s.PendingSignIn == nil || s.PendingSignIn.Requested {
		t.Fatalf("a used value was taken again: %+v", s)
	}
	a.API().CancelSignIn()
	if err := a.HandleDeepLink(protocol.DeepLinkWithState("", e.gw.Token(t, "anna"), e.requestSignIn(t, a))); err != nil {
		t.Fatal(err)
	}
	if err := a.API().ConfirmSignIn(); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, func(s State) bool { return connected(s) && s.Connection.Username == "anna" })
	if s := a.State(); s.Account.Username != "anna" || s.PendingSignIn != nil {
		t.Fatalf("after confirming: %+v", s)
	}
}

// Issue 11: an app started without ANALYST_WS_URL dials the webapp's own
// address, gets a 404 and retries forever. Settings must show which gateway
// address it uses and why it fails, in words.
func TestStateShowsTheGatewayAndWhyItFails(t *testing.T) {
	e := newEnv(t)
	e.cfg.WSURL = "" // as started by hand: the gateway address derived from the server's
	r := newRecorder()
	a := e.start(t, r)
	want := "ws" + strings.TrimPrefix(e.web.URL, "http") + "/ws/notifications"
	if s := a.State(); s.Gateway != want || s.GatewayEnv {
		t.Fatalf("gateway %q (from env %v), want %q derived from the server", s.Gateway, s.GatewayEnv, want)
	}
	if err := e.signIn(t, a, "petr"); err != nil {
		t.Fatal(err)
	}
	s := r.waitState(t, func(s State) bool { return s.Connection.State == connection.Reconnecting })
	if !strings.Contains(s.Connection.Error, "answered HTTP 404 Not Found instead of opening a WebSocket") {
		t.Errorf("the state says %q; want the 404 in words", s.Connection.Error)
	}

	e2 := newEnv(t)
	if s := e2.start(t, newRecorder()).State(); s.Gateway != e2.gw.WSURL || !s.GatewayEnv {
		t.Errorf("gateway %q (from env %v), want %q from ANALYST_WS_URL", s.Gateway, s.GatewayEnv, e2.gw.WSURL)
	}
}

// On a desktop without a tray the window is the app: NoTray shows it at
// once and the state tells the page why, to say how to get an icon.
func TestNoTrayShowsTheWindowAndSaysWhy(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	a := e.start(t, r)
	a.NoTray("no StatusNotifier watcher runs on this desktop")
	r.mu.Lock()
	shown := r.shown
	r.mu.Unlock()
	if shown != 1 {
		t.Errorf("the window was shown %d times; want once", shown)
	}
	r.waitState(t, func(s State) bool { return s.NoTray == "no StatusNotifier watcher runs on this desktop" })
}

package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/zalando/go-keyring"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/desktop/webapi"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/server"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func newSession(t *testing.T, clock clockwork.Clock) (*Session, Keychain) {
	keyring.MockInit()
	kc := OSKeychain{Service: "com.keboola.analyst.test"}
	kc.Delete()
	return NewSession(kc, clock), kc
}

func TestSignInWithLinkStoresTokenAndReadsAccount(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	s, kc := newSession(t, clock)
	var changes []Change
	s.OnChange(func(c Change) { changes = append(changes, c) })
	tok, claims, _ := protocol.IssueToken(secret, "", "petr", clock.Now())
	acc, err := s.SignInWithLink(protocol.DeepLink("", tok), "")
	if err != nil {
		t.Fatal(err)
	}
	if !acc.SignedIn || acc.Username != "petr" || !acc.ExpiresAt.Equal(claims.ExpiresAt.Time) {
		t.Fatalf("account %+v", acc)
	}
	if got, _ := kc.Get(); got != tok {
		t.Fatal("token not in keychain")
	}
	// A new session (a restart) finds it.
	s2 := NewSession(kc, clock)
	if err := s2.Load(); err != nil || s2.Token() != tok || s2.Account().Username != "petr" {
		t.Fatalf("reload: %v %+v", err, s2.Account())
	}
	if err := s.SignOut(ReasonSignedOut); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Get(); !errors.Is(err, ErrNoToken) || s.Account().SignedIn {
		t.Fatalf("sign out left the token: %v", err)
	}
	if len(changes) != 2 || changes[0].Reason != ReasonSignedIn || changes[1].Reason != ReasonSignedOut {
		t.Fatalf("changes %+v", changes)
	}
}

func TestHostileDeepLinksAreRefusedAndChangeNothing(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	s, kc := newSession(t, clock)
	good, _, _ := protocol.IssueToken(secret, "", "petr", clock.Now())
	expired, _, _ := protocol.IssueToken(secret, "", "petr", clock.Now().Add(-31*24*time.Hour))
	noSub := "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.x"
	for _, link := range []string{
		"https://auth?token=" + good,
		"keboola-analystx://auth?token=" + good,
		"keboola-analyst://evil?token=" + good,
		"keboola-analyst://auth.evil.example?token=" + good,
		"keboola-analyst://user@auth?token=" + good,
		"keboola-analyst://auth:443?token=" + good,
		"keboola-analyst://auth/path?token=" + good,
		"keboola-analyst://auth?token=" + good + "#frag",
		"keboola-analyst://auth?token=" + good + "&next=https://evil.example",
		"keboola-analyst://auth?token=" + good + "&token=" + good,
		"keboola-analyst://auth?token=",
		"keboola-analyst://auth?token=" + strings.Repeat("a", 5000) + ".b.c",
		"keboola-analyst://auth?token=%3Cscript%3E.a.b",
		"keboola-analyst://auth?token=not-a-jwt",
		"keboola-analyst://auth?token=" + expired,
		"keboola-analyst://auth?token=" + noSub,
		"keboola-analyst:auth?token=" + good,
		"",
	} {
		_, err := s.SignInWithLink(link, "")
		if apperr.CodeOf(err) != apperr.BadLink {
			t.Errorf("%.90q: got %v", link, err)
		}
	}
	if s.Account().SignedIn {
		t.Fatal("signed in by a hostile link")
	}
	if _, err := kc.Get(); !errors.Is(err, ErrNoToken) {
		t.Fatal("keychain touched")
	}
}

func TestUnreadableStoredTokenIsDeleted(t *testing.T) {
	s, kc := newSession(t, clockwork.NewFakeClock())
	kc.Set("garbage")
	if err := s.Load(); err != nil || s.Account().SignedIn {
		t.Fatalf("%v %+v", err, s.Account())
	}
	if _, err := kc.Get(); !errors.Is(err, ErrNoToken) {
		t.Fatal("garbage kept")
	}
}

func TestRefreshWindowAndRefusal(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	clock := clockwork.NewFakeClockAt(start)
	s, kc := newSession(t, clock)
	// The real webapp, on the test's clock.
	web := webapptest.Start(t, webapptest.Options{Deps: func(d *server.Deps) { d.Now = clock.Now }})
	api := webapi.New(web.URL, nil)

	tok, _, _ := protocol.IssueToken(web.Gateway.Secret, web.Gateway.Issuer, "petr", start)
	if _, err := s.SignInWithLink(protocol.DeepLink("", tok), ""); err != nil {
		t.Fatal(err)
	}
	if in, ok := s.RefreshIn(); !ok || in != 23*24*time.Hour {
		t.Fatalf("refresh in %v", in)
	}
	changes := make(chan Change, 10)
	s.OnChange(func(c Change) { changes <- c })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { s.RunRefresher(ctx, func() Refresher { return api }); close(done) }()

	// Nothing happens before the window opens.
	clock.BlockUntilContext(ctx, 1)
	clock.Advance(23*24*time.Hour - time.Minute)
	select {
	case c := <-changes:
		t.Fatalf("refreshed early: %+v", c)
	case <-time.After(50 * time.Millisecond):
	}
	clock.Advance(time.Minute)
	c := <-changes
	if c.Reason != ReasonRefreshed || !c.Account.ExpiresAt.Equal(start.Add(53*24*time.Hour)) {
		t.Fatalf("change %+v", c)
	}
	if got, _ := kc.Get(); got == tok || got != s.Token() {
		t.Fatal("new token not stored")
	}
	// Unlinked on the dashboard: at the next window the server refuses ->
	// signed out, token deleted.
	web.Unlink(t, web.Browser(t, "petr@example.com"))
	clock.BlockUntilContext(ctx, 1)
	clock.Advance(23 * 24 * time.Hour)
	c = <-changes
	if c.Reason != ReasonRefused || c.Account.SignedIn {
		t.Fatalf("change %+v", c)
	}
	if _, err := kc.Get(); !errors.Is(err, ErrNoToken) {
		t.Fatal("refused token kept")
	}
	cancel()
	<-done
}

func TestRefreshNetworkFailureKeepsTokenAndRetries(t *testing.T) {
	start := time.Now()
	clock := clockwork.NewFakeClockAt(start)
	s, _ := newSession(t, clock)
	tok, _, _ := protocol.IssueToken(secret, "", "petr", start.Add(-25*24*time.Hour)) // 5 days left
	s.SignInWithLink(protocol.DeepLink("", tok), "")
	dead := httptest.NewServer(nil)
	dead.Close()
	err := s.Refresh(context.Background(), webapi.New(dead.URL, nil))
	if apperr.CodeOf(err) != apperr.Network || s.Token() != tok {
		t.Fatalf("%v", err)
	}
}

// TestMain removes the notify-scripts helper webapptest builds.
func TestMain(m *testing.M) { webapptest.Main(m) }

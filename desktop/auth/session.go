// Package auth holds the signed-in state of the app: the token in the OS
// keychain, sign-in from the deep link, the account read from the token's
// claims, refresh before expiry and sign-out.
//
// The app cannot verify the token's signature (only the servers hold the
// secret); it reads the claims unverified, for display and refresh timing
// only. The gateway and webapp check the token for real.
package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jonboulle/clockwork"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// RefreshBefore: a token with less than this left is refreshed.
const RefreshBefore = 7 * 24 * time.Hour

// RetryAfter is the wait after a refresh that failed for a reason other
// than a refusal (server unreachable); the token stays valid meanwhile.
const RetryAfter = 15 * time.Minute

// Account is what the UI shows of the signed-in user.
type Account struct {
	SignedIn  bool      `json:"signed_in"`
	Username  string    `json:"username"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Why the session changed.
const (
	ReasonLoaded    = "loaded"
	ReasonSignedIn  = "signed_in"
	ReasonRefreshed = "refreshed"
	ReasonSignedOut = "signed_out" // by the user
	ReasonRefused   = "refused"    // the server refused the token
)

// Change is passed to listeners.
type Change struct {
	Account Account
	Reason  string
}

// Refresher trades a token for a fresh one (webapi.Client).
type Refresher interface {
	Refresh(ctx context.Context, token string) (string, error)
}

// ReadClaims reads a token's claims WITHOUT verifying its signature, and
// requires a subject and an expiry.
func ReadClaims(token string) (protocol.Claims, error) {
	var c protocol.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return c, errors.New("the token cannot be read")
	}
	if c.Subject == "" || c.ExpiresAt == nil {
		return c, errors.New("the token has no user or no expiry")
	}
	return c, nil
}

// Session is safe for concurrent use.
type Session struct {
	kc    Keychain
	clock clockwork.Clock

	mu        sync.Mutex
	token     string
	claims    protocol.Claims
	listeners []func(Change)
	changed   chan struct{}
}

// NewSession returns a signed-out session; call Load.
func NewSession(kc Keychain, clock clockwork.Clock) *Session {
	return &Session{kc: kc, clock: clock, changed: make(chan struct{}, 1)}
}

// OnChange adds a listener, called without locks held.
func (s *Session) OnChange(fn func(Change)) {
	s.mu.Lock()
	s.listeners = append(s.listeners, fn)
	s.mu.Unlock()
}

// Load reads the token from the keychain. No token: signed out. A token
// that cannot be read is deleted.
func (s *Session) Load() error {
	tok, err := s.kc.Get()
	if errors.Is(err, ErrNoToken) {
		return nil
	}
	if err != nil {
		return apperr.New(apperr.Keychain, "Cannot read the keychain", err)
	}
	c, err := ReadClaims(tok)
	if err != nil {
		slog.Warn("stored token unreadable; deleting it", slog.Any("error", err))
		return s.kc.Delete()
	}
	s.set(tok, c, ReasonLoaded)
	return nil
}

// Link is a sign-in link that has been read: its token, the one-time state
// it carries ("" from a seed portal) and the account it is for.
type Link struct {
	Token  string
	State  string
	claims protocol.Claims
}

// Username is the account the link signs in to.
func (l Link) Username() string { return l.claims.Subject }

// ReadLink reads a sign-in deep link strictly (protocol.ParseSignInLink)
// and checks its token is readable and not expired. Nothing is stored.
func (s *Session) ReadLink(raw, scheme string) (Link, error) {
	pl, err := protocol.ParseSignInLink(raw, scheme)
	if err != nil {
		return Link{}, apperr.New(apperr.BadLink, "This is not a valid sign-in link", err)
	}
	c, err := ReadClaims(pl.Token)
	if err != nil {
		return Link{}, apperr.New(apperr.BadLink, "The sign-in link holds no valid token", err)
	}
	if !c.ExpiresAt.After(s.clock.Now()) {
		return Link{}, apperr.New(apperr.BadLink, "This sign-in link has expired; sign in again", nil)
	}
	return Link{Token: pl.Token, State: pl.State, claims: c}, nil
}

// Verify asks the server whether it accepts the link's token, by trading it
// for a fresh one (the desktop API's refresh): a forged or revoked token is
// refused before anything is stored. The link returned holds the server's
// fresh token, for the same user.
func (s *Session) Verify(ctx context.Context, r Refresher, l Link) (Link, error) {
	tok, err := r.Refresh(ctx, l.Token)
	if apperr.CodeOf(err) == apperr.AuthRefused {
		return Link{}, apperr.New(apperr.BadLink, "The server does not accept this sign-in link", err)
	}
	if err != nil {
		return Link{}, apperr.New(apperr.Server, "Cannot check the sign-in link with the server; try again", err)
	}
	c, err := ReadClaims(tok)
	if err != nil || c.Subject != l.claims.Subject {
		return Link{}, apperr.New(apperr.Server, "The server answered the sign-in check with another account", err)
	}
	return Link{Token: tok, State: l.State, claims: c}, nil
}

// SignIn stores the link's token in the keychain and signs in.
func (s *Session) SignIn(l Link) (Account, error) {
	if err := s.kc.Set(l.Token); err != nil {
		return Account{}, apperr.New(apperr.Keychain, "Cannot save the sign-in in the keychain", err)
	}
	s.set(l.Token, l.claims, ReasonSignedIn)
	return s.Account(), nil
}

// SignInWithLink reads a sign-in link and signs in with it at once, with
// no check by the server and no question to the user: for tests of the
// session only; the app goes through ReadLink, Verify and its own checks.
func (s *Session) SignInWithLink(raw, scheme string) (Account, error) {
	l, err := s.ReadLink(raw, scheme)
	if err != nil {
		return Account{}, err
	}
	return s.SignIn(l)
}

// SignOut deletes the token from the keychain and forgets it.
func (s *Session) SignOut(reason string) error {
	err := s.kc.Delete()
	s.set("", protocol.Claims{}, reason)
	if err != nil {
		return apperr.New(apperr.Keychain, "Cannot delete the sign-in from the keychain", err)
	}
	return nil
}

// Token is the current token, or "".
func (s *Session) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// Account describes the signed-in user.
func (s *Session) Account() Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accountLocked()
}

func (s *Session) accountLocked() Account {
	if s.token == "" {
		return Account{}
	}
	return Account{SignedIn: true, Username: s.claims.Subject, ExpiresAt: s.claims.ExpiresAt.Time.UTC()}
}

func (s *Session) set(tok string, c protocol.Claims, reason string) {
	s.mu.Lock()
	s.token, s.claims = tok, c
	acc := s.accountLocked()
	ls := append([]func(Change){}, s.listeners...)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	for _, fn := range ls {
		fn(Change{Account: acc, Reason: reason})
	}
}

// RefreshIn is how long until the token should be refreshed (<= 0: now);
// ok is false when signed out.
func (s *Session) RefreshIn() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" {
		return 0, false
	}
	return s.claims.ExpiresAt.Time.Add(-RefreshBefore).Sub(s.clock.Now()), true
}

// Refresh trades the token for a fresh one now. A refusal (AuthRefused:
// webapi decides it from the server's error code) signs out: this is the
// one place the app signs out for a refused token, whether the refusal came
// from the gateway's auth_error (the app refreshes then), a webapp call or
// the refresher. Any other failure leaves the token as it is.
func (s *Session) Refresh(ctx context.Context, r Refresher) error {
	old := s.Token()
	if old == "" {
		return apperr.New(apperr.SignedOut, "Not signed in", nil)
	}
	tok, err := r.Refresh(ctx, old)
	if apperr.CodeOf(err) == apperr.AuthRefused {
		slog.Warn("token refresh refused; signing out", slog.Any("error", err))
		s.SignOut(ReasonRefused)
		return err
	}
	if err != nil {
		return err
	}
	c, err := ReadClaims(tok)
	if err != nil {
		return apperr.New(apperr.Server, "The server sent an unreadable token", err)
	}
	if s.Token() != old { // signed out or in again meanwhile: keep that
		return nil
	}
	if err := s.kc.Set(tok); err != nil {
		return apperr.New(apperr.Keychain, "Cannot save the new token in the keychain", err)
	}
	s.set(tok, c, ReasonRefreshed)
	slog.Info("token refreshed", slog.Time("expires", c.ExpiresAt.Time))
	return nil
}

// RunRefresher refreshes the token whenever it has less than RefreshBefore
// left, until ctx ends. refresher is asked each time (the server address
// may change).
func (s *Session) RunRefresher(ctx context.Context, refresher func() Refresher) {
	for {
		wait, signedIn := s.RefreshIn()
		if signedIn && wait <= 0 {
			// A refusal has signed out (Refresh decides); any other failure
			// leaves the token, tried again later.
			if err := s.Refresh(ctx, refresher()); err != nil && s.Token() != "" {
				slog.Warn("token refresh failed; will retry", slog.Any("error", err), slog.String("in", RetryAfter.String()))
				wait = RetryAfter
			} else {
				continue
			}
		}
		var timer clockwork.Timer
		var fire <-chan time.Time
		if signedIn {
			timer = s.clock.NewTimer(wait)
			fire = timer.Chan()
		}
		select {
		case <-ctx.Done():
		case <-s.changed:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// Package session keeps the browser session in a cookie that is signed
// (HMAC-SHA256) and encrypted (AES-256), using gorilla/securecookie: a small,
// long-lived library that does exactly this and nothing more, so no session
// store is needed and restarts keep users signed in.
package session

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
)

// Cookie names.
const (
	SessionCookie = "aa_session"
	FlowCookie    = "aa_signin" // one sign-in attempt: state, nonce, PKCE verifier
)

// Session is who is signed in.
type Session struct {
	User    string `json:"u"`
	Email   string `json:"e"`
	Expires int64  `json:"x"`
}

// Flow is one OIDC sign-in in progress, bound to this browser.
type Flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"r"`
}

// FlowMaxAge bounds how long a sign-in at the provider may take.
const FlowMaxAge = 10 * time.Minute

// Codec reads and writes the cookies.
type Codec struct {
	sc     *securecookie.SecureCookie
	secure bool
	maxAge time.Duration
	now    func() time.Time
}

// DeriveKey makes the 64-byte session key from the JWT secret when no key
// of its own is configured; HKDF with a label keeps the two uses apart.
func DeriveKey(secret []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nil, "analyst-alerts webapp session cookie v1", 64)
}

// New builds a codec from a 64-byte key (first half signs, second encrypts).
// secure sets the Secure flag (the site is served over https).
func New(key []byte, secure bool, maxAge time.Duration) (*Codec, error) {
	if len(key) != 64 {
		return nil, fmt.Errorf("session key must be 64 bytes, got %d", len(key))
	}
	sc := securecookie.New(key[:32], key[32:])
	sc.SetSerializer(securecookie.JSONEncoder{})
	sc.MaxAge(int(maxAge / time.Second))
	return &Codec{sc: sc, secure: secure, maxAge: maxAge, now: time.Now}, nil
}

// SetNow replaces the clock (tests).
func (c *Codec) SetNow(now func() time.Time) { c.now = now }

// ErrNoSession means no valid session cookie came with the request.
var ErrNoSession = errors.New("not signed in")

// Read returns the request's session.
func (c *Codec) Read(r *http.Request) (Session, error) {
	var s Session
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return s, ErrNoSession
	}
	if err := c.sc.Decode(SessionCookie, ck.Value, &s); err != nil {
		return Session{}, ErrNoSession
	}
	if s.User == "" || c.now().Unix() >= s.Expires {
		return Session{}, ErrNoSession
	}
	return s, nil
}

// Write signs user in on this browser.
func (c *Codec) Write(w http.ResponseWriter, user, email string) error {
	s := Session{User: user, Email: email, Expires: c.now().Add(c.maxAge).Unix()}
	return c.set(w, SessionCookie, s, c.maxAge)
}

// Clear signs the browser out.
func (c *Codec) Clear(w http.ResponseWriter) { c.clear(w, SessionCookie) }

// WriteFlow stores a sign-in attempt.
func (c *Codec) WriteFlow(w http.ResponseWriter, f Flow) error {
	return c.set(w, FlowCookie, f, FlowMaxAge)
}

// TakeFlow reads and clears the sign-in attempt: each is usable once.
func (c *Codec) TakeFlow(w http.ResponseWriter, r *http.Request) (Flow, error) {
	var f Flow
	ck, err := r.Cookie(FlowCookie)
	if err != nil {
		return f, errors.New("no sign-in in progress on this browser (cookies blocked, or the attempt expired)")
	}
	c.clear(w, FlowCookie)
	if err := c.sc.Decode(FlowCookie, ck.Value, &f); err != nil {
		return Flow{}, errors.New("sign-in attempt expired or was tampered with")
	}
	return f, nil
}

func (c *Codec) set(w http.ResponseWriter, name string, v any, maxAge time.Duration) error {
	enc, err := c.sc.Encode(name, v)
	if err != nil {
		return fmt.Errorf("encode %s cookie: %w", name, err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: enc, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (c *Codec) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

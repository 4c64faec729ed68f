package signin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDC is the sign-in with an OpenID Connect provider. The provider's
// discovery document is fetched on first use (and again after a failure),
// so the webapp starts even when the provider is briefly unreachable.
type OIDC struct {
	issuer, clientID, clientSecret, redirect string
	// AllowUnverifiedEmail admits ID tokens without email_verified=true
	// (providers that never send the claim); off by default.
	AllowUnverifiedEmail bool

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewOIDC configures the flow; nothing is fetched yet.
func NewOIDC(issuer, clientID, clientSecret, redirect string) *OIDC {
	return &OIDC{issuer: issuer, clientID: clientID, clientSecret: clientSecret, redirect: redirect}
}

func (o *OIDC) setup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	p, err := oidc.NewProvider(ctx, o.issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover OIDC provider %s: %w", o.issuer, err)
	}
	o.oauth = &oauth2.Config{
		ClientID: o.clientID, ClientSecret: o.clientSecret, RedirectURL: o.redirect,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.clientID})
	return o.oauth, o.verifier, nil
}

// Start begins a sign-in: it returns the provider URL to send the browser
// to and the state, nonce and PKCE verifier to keep in the browser's flow
// cookie until the callback.
func (o *OIDC) Start(ctx context.Context) (authURL, state, nonce, verifier string, err error) {
	cfg, _, err := o.setup(ctx)
	if err != nil {
		return "", "", "", "", err
	}
	state, nonce, verifier = random(), random(), oauth2.GenerateVerifier()
	authURL = cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return authURL, state, nonce, verifier, nil
}

// ErrEmailUnverified is returned for an account whose email the provider
// has not verified: its local part must not become a username.
var ErrEmailUnverified = errors.New("the provider has not verified this account's email")

// Finish exchanges the code (with the PKCE verifier), checks the ID token
// (signature, issuer, audience, expiry, nonce) and returns the verified email.
func (o *OIDC) Finish(ctx context.Context, code, nonce, verifier string) (string, error) {
	cfg, idv, err := o.setup(ctx)
	if err != nil {
		return "", err
	}
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", fmt.Errorf("exchange code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return "", errors.New("provider sent no ID token")
	}
	idt, err := idv.Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("verify ID token: %w", err)
	}
	if idt.Nonce != nonce {
		return "", errors.New("ID token nonce does not match this sign-in")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("read ID token claims: %w", err)
	}
	if claims.Email == "" {
		return "", errors.New("ID token has no email (is the email scope granted?)")
	}
	if (claims.EmailVerified == nil || !*claims.EmailVerified) && !o.AllowUnverifiedEmail {
		return "", ErrEmailUnverified
	}
	return claims.Email, nil
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

package protocol

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fast path only ever accepts what golang-jwt's parser accepts, with
// the same claims; everything else is left to the parser.
func TestVerifyFastAcceptsOnlyWhatTheParserAccepts(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	sign := func(m jwt.SigningMethod, claims jwt.MapClaims, key any) string {
		s, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	valid := jwt.MapClaims{"sub": "petr", "iss": DefaultIssuer, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	issued, _, _ := IssueToken(testSecret, "", "petr", now)
	good := sign(jwt.SigningMethodHS256, valid, testSecret)
	head, rest, _ := strings.Cut(good, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	// The signature's last character with its unused low bit flipped:
	// the same bytes, which the parser's lenient base64 accepts.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	otherSig := sig[:len(sig)-1] + string(alphabet[strings.IndexByte(alphabet, sig[len(sig)-1])^1])
	cases := map[string]string{
		"issued by the webapp":       issued,
		"valid":                      good,
		"bad signature":              sign(jwt.SigningMethodHS256, valid, []byte("another-secret-0123456789abcdef012345")),
		"HS384":                      sign(jwt.SigningMethodHS384, valid, testSecret),
		"none":                       sign(jwt.SigningMethodNone, valid, jwt.UnsafeAllowNoneSignatureType),
		"expired":                    sign(jwt.SigningMethodHS256, with("exp", now.Add(-time.Second).Unix()), testSecret),
		"expires now":                sign(jwt.SigningMethodHS256, with("exp", now.Unix()), testSecret),
		"no exp":                     sign(jwt.SigningMethodHS256, with("exp", nil), testSecret),
		"exp as a string":            sign(jwt.SigningMethodHS256, with("exp", "99999999999"), testSecret),
		"other issuer":               sign(jwt.SigningMethodHS256, with("iss", "someone"), testSecret),
		"no issuer":                  sign(jwt.SigningMethodHS256, with("iss", nil), testSecret),
		"nbf ahead":                  sign(jwt.SigningMethodHS256, with("nbf", now.Add(time.Minute).Unix()), testSecret),
		"nbf passed":                 sign(jwt.SigningMethodHS256, with("nbf", now.Add(-time.Minute).Unix()), testSecret),
		"no sub":                     sign(jwt.SigningMethodHS256, with("sub", nil), testSecret),
		"claims not an object":       head + "." + base64.RawURLEncoding.EncodeToString([]byte(`[1]`)) + "." + sig,
		"padded signature":           head + "." + payload + "." + sig + "=",
		"other encoding of the sig":  head + "." + payload + "." + otherSig,
		"four segments":              good + ".x",
		"header with spaces":         base64.RawURLEncoding.EncodeToString([]byte(`{"alg": "HS256","typ":"JWT"}`)) + "." + payload + "." + sig,
		"empty":                      "",
		"trailing data after claims": head + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"petr"} x`)) + "." + sig,
	}
	var onFast []string
	for name, tok := range cases {
		want, perr := parseToken(testSecret, DefaultIssuer, tok, now, 0)
		got, ok := verifyFast(testSecret, DefaultIssuer, tok, now, 0)
		if !ok {
			continue
		}
		onFast = append(onFast, name)
		if perr != nil {
			t.Errorf("%s: the fast path accepts what the parser refuses (%v)", name, perr)
		} else if got.Subject != want.Subject || !got.ExpiresAt.Equal(want.ExpiresAt.Time) || !got.IssuedAt.Equal(want.IssuedAt.Time) || got.Issuer != want.Issuer {
			t.Errorf("%s: claims %+v, the parser's %+v", name, got, want)
		}
	}
	// The valid tokens in the webapp's form take the fast path (one with
	// no subject too: checkClaims refuses it after either path).
	slices.Sort(onFast)
	if want := []string{"exp as a string", "issued by the webapp", "no sub", "other encoding of the sig", "valid"}; !slices.Equal(onFast, want) {
		t.Errorf("on the fast path: %q, want %q", onFast, want)
	}
	if _, err := VerifyToken(testSecret, "", cases["no sub"], now); !errors.Is(err, ErrTokenSubject) {
		t.Errorf("no sub: %v", err)
	}
	// The grace of a refresh counts as the parser's does.
	expired := cases["expired"]
	if _, ok := verifyFast(testSecret, DefaultIssuer, expired, now, time.Minute); !ok {
		t.Errorf("expired a second ago, refreshed with a minute's grace: not on the fast path")
	}
	if _, err := parseToken(testSecret, DefaultIssuer, expired, now, time.Minute); err != nil {
		t.Errorf("parser refuses the refresh: %v", err)
	}
	// Another secret is not the pooled MAC's.
	other := []byte("another-secret-0123456789abcdef012345")
	if _, ok := verifyFast(other, DefaultIssuer, good, now, 0); ok {
		t.Errorf("accepted with another secret")
	}
	if _, ok := verifyFast(testSecret, DefaultIssuer, good, now, 0); !ok {
		t.Errorf("refused after a check with another secret")
	}
}

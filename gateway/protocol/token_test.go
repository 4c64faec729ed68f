package protocol

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func TestIssueAndVerify(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	tok, c, err := IssueToken(testSecret, "", "petr", now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != DefaultIssuer || c.ExpiresAt.Sub(now) != TokenLifetime || c.IssuedAt.Time != now {
		t.Fatalf("claims %+v", c)
	}
	got, err := VerifyToken(testSecret, DefaultIssuer, tok, now.Add(time.Hour))
	if err != nil || got.Username() != "petr" {
		t.Fatalf("verify: %v %+v", err, got)
	}
	if _, err := VerifyToken(testSecret, DefaultIssuer, tok, now.Add(TokenLifetime+time.Second)); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := VerifyToken(testSecret, "other", tok, now); !errors.Is(err, ErrTokenIssuer) {
		t.Fatalf("issuer: %v", err)
	}
	if _, _, err := IssueToken(testSecret, "", "", now); !errors.Is(err, ErrTokenSubject) {
		t.Fatalf("empty user: %v", err)
	}
}

// Refresh accepts tokens expired up to 7 days ago, not longer.
func TestRefreshGrace(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	tok, c, _ := IssueToken(testSecret, "", "petr", now)
	exp := c.ExpiresAt.Time
	if _, err := VerifyForRefresh(testSecret, "", tok, exp.Add(RefreshGrace-time.Second)); err != nil {
		t.Fatalf("just inside the grace: %v", err)
	}
	if _, err := VerifyForRefresh(testSecret, "", tok, exp.Add(RefreshGrace+time.Second)); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("just outside the grace: %v", err)
	}
	if _, err := VerifyToken(testSecret, "", tok, exp.Add(time.Second)); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("use after expiry: %v", err)
	}
}

func TestVerifyRefusesOtherAlgorithms(t *testing.T) {
	claims := jwt.MapClaims{"sub": "petr", "iss": DefaultIssuer, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, claims).SignedString(testSecret)
	for name, tok := range map[string]string{"none": none, "HS384": hs384} {
		if _, err := VerifyToken(testSecret, "", tok, time.Now()); !errors.Is(err, ErrTokenAlgorithm) {
			t.Errorf("%s: %v", name, err)
		}
	}
	noIat, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "p", "iss": DefaultIssuer, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(testSecret)
	if _, err := VerifyToken(testSecret, "", noIat, time.Now()); !errors.Is(err, ErrTokenMalformed) {
		t.Errorf("no iat: %v", err)
	}
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "p", "iss": DefaultIssuer, "iat": time.Now().Unix()}).SignedString(testSecret)
	if _, err := VerifyToken(testSecret, "", noExp, time.Now()); !errors.Is(err, ErrTokenMalformed) {
		t.Errorf("no exp: %v", err)
	}
}

func TestRevocationCutoff(t *testing.T) {
	unlink := time.Date(2026, 1, 30, 10, 0, 0, 700e6, time.UTC)
	cut := RevocationCutoff(unlink)
	sameSecond, _, _ := IssueToken(testSecret, "", "p", unlink.Add(-500*time.Millisecond))
	c, _ := VerifyToken(testSecret, "", sameSecond, unlink)
	if !RevokedBefore(c, cut) {
		t.Fatal("token issued in the unlink's second must be revoked")
	}
	if wait := UntilCutoff(unlink, cut); wait != 300*time.Millisecond {
		t.Fatalf("wait %v", wait)
	}
	after, _, _ := IssueToken(testSecret, "", "p", unlink.Add(UntilCutoff(unlink, cut)))
	c, _ = VerifyToken(testSecret, "", after, unlink.Add(time.Second))
	if RevokedBefore(c, cut) {
		t.Fatal("token issued after the wait must not be revoked")
	}
	if RevokedBefore(c, 0) {
		t.Fatal("zero cutoff revokes nothing")
	}
	if err := CheckSecret([]byte("short")); !errors.Is(err, ErrSecretTooShort) {
		t.Fatal(err)
	}
}

// A token issued in the future (beyond MaxClockSkew) or valid for longer
// than the webapp issues is refused, for use and for refresh alike.
func TestVerifyRefusesFutureIatAndLongLifetime(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	sign := func(iat, exp time.Time) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "petr", "iss": DefaultIssuer, "iat": iat.Unix(), "exp": exp.Unix()}).SignedString(testSecret)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cases := []struct {
		name     string
		iat, exp time.Time
		want     error
	}{
		{"iat within the skew", now.Add(MaxClockSkew), now.Add(MaxClockSkew + TokenLifetime), nil},
		{"iat past the skew", now.Add(MaxClockSkew + time.Second), now.Add(time.Hour), ErrTokenFuture},
		{"iat years ahead", now.AddDate(10, 0, 0), now.AddDate(10, 0, 1), ErrTokenFuture},
		{"lifetime of exactly 30 days", now.Add(-time.Hour), now.Add(-time.Hour + TokenLifetime), nil},
		{"lifetime a second over", now.Add(-time.Hour), now.Add(-time.Hour + TokenLifetime + time.Second), ErrTokenLifetime},
		{"lifetime of ten years", now.Add(-time.Hour), now.AddDate(10, 0, 0), ErrTokenLifetime},
	}
	for _, tc := range cases {
		tok := sign(tc.iat, tc.exp)
		for verb, verify := range map[string]func([]byte, string, string, time.Time) (Claims, error){
			"VerifyToken": VerifyToken, "VerifyForRefresh": VerifyForRefresh} {
			_, err := verify(testSecret, "", tok, now)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s, %s: %v, want %v", tc.name, verb, err, tc.want)
			}
		}
	}
}

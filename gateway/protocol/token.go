package protocol

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token rules shared by the webapp (which issues) and the gateway and
// webapp (which check).
const (
	DefaultIssuer = "data-analyst"
	TokenLifetime = 30 * 24 * time.Hour
	// RefreshGrace is how long after expiry a token may still be refreshed.
	RefreshGrace = 7 * 24 * time.Hour
	// MinSecretBytes is the shortest DESKTOP_JWT_SECRET we accept: HS256
	// with a shorter key is guessable offline from any token.
	MinSecretBytes = 32
	// MaxClockSkew is how far apart the webapp's and the gateway's clocks
	// may be: a token issued (iat) or a revocation cutoff dated further in
	// the future is refused.
	MaxClockSkew = 60 * time.Second
)

// Claims are the desktop token's claims: sub (username), iat, exp, iss.
type Claims struct {
	jwt.RegisteredClaims
}

// Username is the token's subject.
func (c Claims) Username() string { return c.Subject }

// Token errors. They say what is wrong without echoing the token.
var (
	ErrTokenMalformed = errors.New("token is malformed")
	ErrTokenAlgorithm = errors.New("token algorithm not allowed (HS256 only)")
	ErrTokenSignature = errors.New("token signature is invalid")
	ErrTokenExpired   = errors.New("token has expired")
	ErrTokenIssuer    = errors.New("token issuer is not accepted")
	ErrTokenSubject   = errors.New("token has no subject")
	ErrTokenRevoked   = errors.New("token has been revoked")
	ErrTokenFuture    = fmt.Errorf("token is issued in the future (iat more than %v ahead)", MaxClockSkew)
	ErrTokenLifetime  = fmt.Errorf("token lifetime (exp - iat) is longer than the %v the webapp issues", TokenLifetime)
	ErrSecretTooShort = fmt.Errorf("DESKTOP_JWT_SECRET must be at least %d bytes", MinSecretBytes)
)

// CheckSecret refuses a secret too short for HS256.
func CheckSecret(secret []byte) error {
	if len(secret) < MinSecretBytes {
		return fmt.Errorf("%w (got %d)", ErrSecretTooShort, len(secret))
	}
	return nil
}

// IssueToken signs a new 30-day token for user. now is passed in so callers
// and tests control time; iat is now truncated to the second.
func IssueToken(secret []byte, issuer, user string, now time.Time) (string, Claims, error) {
	if user == "" {
		return "", Claims{}, ErrTokenSubject
	}
	if issuer == "" {
		issuer = DefaultIssuer
	}
	now = now.Truncate(time.Second)
	c := Claims{jwt.RegisteredClaims{
		Subject:   user,
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(TokenLifetime)),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return s, c, nil
}

// VerifyToken checks a token for use: HS256 with secret, issuer, a subject,
// not expired at now, issued (iat) no more than MaxClockSkew after now, and
// valid for no longer than TokenLifetime. A token from the future would
// outlive any revocation cutoff set before its iat; a longer lifetime is
// not one the webapp issues (a leaked secret's forgery, or a bug).
func VerifyToken(secret []byte, issuer, token string, now time.Time) (Claims, error) {
	return verify(secret, issuer, token, now, 0)
}

// VerifyForRefresh is VerifyToken but accepts a token expired less than
// RefreshGrace ago.
func VerifyForRefresh(secret []byte, issuer, token string, now time.Time) (Claims, error) {
	return verify(secret, issuer, token, now, RefreshGrace)
}

func verify(secret []byte, issuer, token string, now time.Time, grace time.Duration) (Claims, error) {
	if issuer == "" {
		issuer = DefaultIssuer
	}
	c, ok := verifyFast(secret, issuer, token, now, grace)
	if !ok {
		var err error
		if c, err = parseToken(secret, issuer, token, now, grace); err != nil {
			return Claims{}, err
		}
	}
	return checkClaims(c, now)
}

// parserOptions are golang-jwt's checks of a token (verifyFast makes the
// same).
func parserOptions(issuer string, now time.Time, grace time.Duration) []jwt.ParserOption {
	return []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now.Add(-grace) }),
	}
}

// parseToken checks a token with golang-jwt's parser and says why it is
// refused.
func parseToken(secret []byte, issuer, token string, now time.Time, grace time.Duration) (Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		return secret, nil
	}, parserOptions(issuer, now, grace)...)
	if err != nil {
		return Claims{}, classify(token, err)
	}
	return c, nil
}

// checkClaims is what golang-jwt does not check.
func checkClaims(c Claims, now time.Time) (Claims, error) {
	if c.Subject == "" {
		return Claims{}, ErrTokenSubject
	}
	if c.IssuedAt == nil {
		return Claims{}, fmt.Errorf("%w: no iat", ErrTokenMalformed)
	}
	if c.IssuedAt.After(now.Add(MaxClockSkew)) {
		return Claims{}, ErrTokenFuture
	}
	if c.ExpiresAt.Sub(c.IssuedAt.Time) > TokenLifetime {
		return Claims{}, ErrTokenLifetime
	}
	return c, nil
}

// classify maps golang-jwt's errors to ours. golang-jwt reports a refused
// algorithm as an invalid signature, so the header is read to tell them apart.
func classify(token string, err error) error {
	var uc Claims
	if t, _, perr := jwt.NewParser().ParseUnverified(token, &uc); perr == nil {
		if alg, _ := t.Header["alg"].(string); alg != jwt.SigningMethodHS256.Alg() {
			return ErrTokenAlgorithm
		}
		if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
			if uc.Issuer == "" {
				return ErrTokenIssuer
			}
			return fmt.Errorf("%w: no expiry", ErrTokenMalformed)
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ErrTokenSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return ErrTokenIssuer
	default:
		return ErrTokenMalformed
	}
}

// TokenRefusal is the fixed sentence that says why err refused a token:
// one of the ErrToken* sentences, never a library's text. A client is told
// this; the error itself (which may say more) is for the log.
func TokenRefusal(err error) string {
	for _, known := range []error{ErrTokenAlgorithm, ErrTokenSignature, ErrTokenExpired, ErrTokenIssuer,
		ErrTokenSubject, ErrTokenRevoked, ErrTokenFuture, ErrTokenLifetime} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return ErrTokenMalformed.Error()
}

// RevokedBefore reports whether a token issued at iat is revoked by a cutoff
// notBefore (unix seconds): tokens issued before the cutoff are refused.
// A zero cutoff revokes nothing.
func RevokedBefore(c Claims, notBefore int64) bool {
	if notBefore == 0 || c.IssuedAt == nil {
		return false
	}
	return c.IssuedAt.Unix() < notBefore
}

// RevocationCutoff turns the moment of an unlink into the cutoff stored for
// the user: every token issued in that second or earlier is revoked. An
// issuer must not issue a new token for the user before the cutoff (see
// WaitForCutoff).
func RevocationCutoff(unlinkedAt time.Time) int64 {
	return unlinkedAt.Unix() + 1
}

// UntilCutoff is how long an issuer must wait before a token it issues now
// is not revoked by cutoff; at most a second after an unlink.
func UntilCutoff(now time.Time, cutoff int64) time.Duration {
	d := time.Unix(cutoff, 0).Sub(now)
	if d < 0 {
		return 0
	}
	return d
}

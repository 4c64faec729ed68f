package protocol

import (
	"testing"
	"time"
)

// A cutoff older than RevocationExpiredBefore can refuse no valid token:
// the newest token it would refuse (issued the second before it, with the
// longest lifetime there is) has expired, even on a clock RevocationSlack
// behind.
func TestRevocationExpiredBeforeRefusesNothingValid(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	before := RevocationExpiredBefore(now)
	refusedBy := func(cutoff int64) time.Time { return time.Unix(cutoff-1, 0) } // the newest iat it refuses

	tok, _, err := IssueToken(secret, "", "ann", refusedBy(before-1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyToken(secret, "", tok, now); err == nil {
		t.Fatalf("a token a dropped cutoff (%d) would refuse still verifies at %v", before-1, now)
	}
	// The rule leaves RevocationSlack in hand: a gateway clock that many
	// seconds (less one) behind still sees the token expired.
	if _, err := VerifyToken(secret, "", tok, now.Add(-RevocationSlack+2*time.Second)); err == nil {
		t.Fatal("the slack does not cover a clock behind by less than RevocationSlack")
	}
}

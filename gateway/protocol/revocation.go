package protocol

import "time"

// RevocationSlack is how much longer than TokenLifetime a revocation
// cutoff is kept: far more than MaxClockSkew, so a gateway whose clock
// runs ahead of the issuer's never forgets a cutoff a token still needs.
const RevocationSlack = time.Hour

// RevocationExpiredBefore is the oldest revocation cutoff that can still
// refuse a token at now: a cutoff refuses tokens issued before it, and a
// token issued more than TokenLifetime ago has expired (VerifyToken refuses
// a longer lifetime), so a cutoff older than TokenLifetime plus
// RevocationSlack refuses nothing any more and may be forgotten. The one
// rule of both fan-outs (hub.Local, the cluster node).
func RevocationExpiredBefore(now time.Time) int64 {
	return now.Add(-TokenLifetime - RevocationSlack).Unix()
}

package protocol

// Error codes on the wire: the "code" of an ErrorResponse from the webapp's
// JSON API (its apperr codes; the desktop API uses these) that a client
// acts on. Keep them stable: apps in the field match on them, never on the
// message.
const (
	// CodeUnauthorized: no token, or one that is not valid (bad signature,
	// issuer or subject, expired beyond the refresh grace). HTTP 401.
	CodeUnauthorized = "unauthorized"
	// CodeTokenRevoked: the token was issued before the user's revocation
	// cutoff (the desktop app was unlinked). HTTP 401.
	CodeTokenRevoked = "token_revoked"
	// CodeForbidden: the caller is known but may not do this (e.g. a
	// cross-origin browser request). HTTP 403. Not a verdict on the token.
	CodeForbidden = "forbidden"
)

// TokenRefused says whether an error answer means the server will not
// accept the token again, so an app should try its refresh and sign out if
// that is refused too. It decides from the code; an answer without one
// (a proxy in front of the server, an older server) is refused only as a
// 401. A 403 never is: it says "not allowed", not "not signed in".
func TokenRefused(status int, code string) bool {
	switch code {
	case CodeUnauthorized, CodeTokenRevoked:
		return true
	case "":
		return status == 401
	}
	return false
}

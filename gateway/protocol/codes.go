package protocol

// The codes a client acts on (CodeUnauthorized, CodeTokenRevoked,
// CodeForbidden) are listed with the others in errorresponse.go.

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

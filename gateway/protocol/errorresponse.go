package protocol

// ErrorResponse is every error body on the dispatch socket, the webapp's
// JSON API and the Telegram bot's socket: Error for a person, Code for a
// program (one of the codes below; a program branches on the code, never
// on the message).
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// The codes of an ErrorResponse. Keep them stable: the desktop app,
// scripts and the notify tools match on them.
const (
	CodeBadRequest       = "bad_request"        // 400: the request is malformed; its message says how
	CodeUnauthorized     = "unauthorized"       // 401: no token, or a token that is not valid
	CodeTokenRevoked     = "token_revoked"      // 401: the token was valid but its user unlinked the app
	CodeForbidden        = "forbidden"          // 403: this caller may not do this (not a sign-out)
	CodeNotFound         = "not_found"          // 404
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeWrongHost        = "wrong_host"         // 421: the request named another host
	CodeTooLarge         = "too_large"          // 413
	CodeNotLinked        = "not_linked"         // the user has no linked desktop app
	CodeScriptFailed     = "script_failed"      // the analyst's script failed or timed out
	CodeHelperFailed     = "helper_failed"      // the scripts helper could not run it
	CodeSignInRefused    = "sign_in_refused"    // single sign-on refused the user
	CodeUnavailable      = "unavailable"        // a part behind this one is down; try again
	CodeInternal         = "internal"           // anything else; the cause is in the server's log
)

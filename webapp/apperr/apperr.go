// Package apperr is the webapp's one error type: a stable code, the HTTP
// status it maps to and a message safe to show. Handlers return these;
// server.renderError turns any error into a response in one place, and an
// error that is not an *Error is logged and shown as "internal".
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error a client may see.
type Error struct {
	Code    string // stable, machine-readable (e.g. "bad_request")
	Status  int    // HTTP status
	Message string // human-readable, never a secret or a stack trace
	Err     error  // cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// The codes. Keep them stable: the desktop app and scripts may match on them.
const (
	CodeBadRequest    = "bad_request"
	CodeUnauthorized  = "unauthorized"
	CodeForbidden     = "forbidden"
	CodeNotFound      = "not_found"
	CodeNotLinked     = "not_linked"
	CodeTooLarge      = "too_large"
	CodeScriptFailed  = "script_failed"
	CodeHelperFailed  = "helper_failed"
	CodeUnavailable   = "unavailable"
	CodeInternal      = "internal"
	CodeTokenRevoked  = "token_revoked"
	CodeSignInRefused = "sign_in_refused"
	CodeWrongHost     = "wrong_host"
)

func newErr(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 with a message saying what is wrong.
func BadRequest(format string, args ...any) *Error {
	return newErr(CodeBadRequest, http.StatusBadRequest, format, args...)
}

// Unauthorized is a 401.
func Unauthorized(format string, args ...any) *Error {
	return newErr(CodeUnauthorized, http.StatusUnauthorized, format, args...)
}

// Forbidden is a 403.
func Forbidden(format string, args ...any) *Error {
	return newErr(CodeForbidden, http.StatusForbidden, format, args...)
}

// NotFound is a 404.
func NotFound(format string, args ...any) *Error {
	return newErr(CodeNotFound, http.StatusNotFound, format, args...)
}

// New builds an error with any code and status.
func New(code string, status int, format string, args ...any) *Error {
	return newErr(code, status, format, args...)
}

// Wrap attaches a cause (for logs) to e and returns it.
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// From returns err as an *Error, or an internal error wrapping it.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Status: http.StatusInternalServerError,
		Message: "internal error", Err: err}
}

// Package apperr is the webapp's one error type: a stable code, the HTTP
// status it maps to and a message safe to show. Handlers return these;
// server.fail turns any error into a response in one place, and an
// error that is not an *Error is logged and shown as "internal".
package apperr

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/codederr"
)

// Error is an error a client may see: the shared coded error (Code, stable
// and machine-readable, e.g. "bad_request"; Message, never a secret or a
// stack trace; Err, the cause, for logs only) and the HTTP status it is
// answered with.
type Error struct {
	coded
	Status int
}

type coded = codederr.Error[string]

// The codes are the wire's (protocol.Code*, in protocol.ErrorResponse.Code):
// one definition, used as they are, so nothing here can drift from them.

func newErr(code string, status int, format string, args ...any) *Error {
	return &Error{coded: coded{Code: code, Message: fmt.Sprintf(format, args...)}, Status: status}
}

// BadRequest is a 400 with a message saying what is wrong.
func BadRequest(format string, args ...any) *Error {
	return newErr(protocol.CodeBadRequest, http.StatusBadRequest, format, args...)
}

// Unauthorized is a 401.
func Unauthorized(format string, args ...any) *Error {
	return newErr(protocol.CodeUnauthorized, http.StatusUnauthorized, format, args...)
}

// Forbidden is a 403.
func Forbidden(format string, args ...any) *Error {
	return newErr(protocol.CodeForbidden, http.StatusForbidden, format, args...)
}

// NotFound is a 404.
func NotFound(format string, args ...any) *Error {
	return newErr(protocol.CodeNotFound, http.StatusNotFound, format, args...)
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
	return &Error{coded: coded{Code: protocol.CodeInternal, Message: "internal error", Err: err}, Status: http.StatusInternalServerError}
}

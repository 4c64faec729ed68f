// Package apperr is the desktop app's one error type: a stable code the UI
// and tests can rely on, a message a person can read, and the cause kept for
// the log. Format renders any error for the UI in one place.
package apperr

import (
	"errors"
	"log/slog"

	"github.com/keboola/analyst-alerts/internal/codederr"
)

// Code is stable: the frontend and tests match on it, never on messages.
type Code string

const (
	SignedOut   Code = "signed_out"   // no token: the user must sign in
	AuthRefused Code = "auth_refused" // the server refused the token
	BadLink     Code = "bad_link"     // a sign-in link that is not ours
	BadInput    Code = "bad_input"    // a value from the UI that cannot be used
	NotFound    Code = "not_found"    // no such notification or script
	Network     Code = "network"      // the server could not be reached
	Server      Code = "server"       // the server answered with an error
	Keychain    Code = "keychain"     // the OS keychain failed
	Launch      Code = "launch"       // a program could not be started
	Internal    Code = "internal"     // anything else; details only in the log
)

// Error is an error with a stable code (the shared coded error type).
type Error = codederr.Error[Code]

// New returns an Error; err may be nil.
func New(code Code, message string, err error) *Error {
	return codederr.New(code, message, err)
}

// CodeOf is the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code { return codederr.CodeOf(err, Internal) }

// Public is what the UI sees of an error.
type Public struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Format renders err for the UI (it is Wails' ErrorFormatter): an *Error
// shows its code and message, never its cause (which may carry server text
// or paths); anything else is "internal", logged once here.
func Format(err error) any {
	var e *Error
	if errors.As(err, &e) {
		return Public{Code: e.Code, Message: e.Message}
	}
	slog.Error("internal error", slog.Any("error", err))
	return Public{Code: Internal, Message: "Something went wrong; see the log."}
}

// Package codederr is the one error type with a stable code: the webapp's
// (webapp/apperr), the notify tools' (webapp/notifyscript) and the desktop
// app's (desktop/apperr) are each this type over their own set of codes.
// A caller branches on the code, a person reads the message, and the cause
// stays for the log: it may carry a library's text, a path or a server's
// answer, so it is never what a user or a client is shown.
package codederr

import "errors"

// Error is an error with a stable code of type C (each package has its own
// code type and set of codes).
type Error[C ~string] struct {
	Code    C
	Message string // fit to show: never a secret, a path or a library's error
	Err     error  // the cause, for logs only
}

// Error is the message, and the cause when there is one (for logs).
func (e *Error[C]) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error[C]) Unwrap() error { return e.Err }

// New returns an error with code and message; cause may be nil.
func New[C ~string](code C, message string, cause error) *Error[C] {
	return &Error[C]{Code: code, Message: message, Err: cause}
}

// As finds the first *Error[C] in err's chain.
func As[C ~string](err error) (*Error[C], bool) {
	var e *Error[C]
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf is the code of the first *Error[C] in err's chain, or otherwise
// for any other error.
func CodeOf[C ~string](err error, otherwise C) C {
	if e, ok := As[C](err); ok {
		return e.Code
	}
	return otherwise
}

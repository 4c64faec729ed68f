package notifyscript

import "github.com/keboola/analyst-alerts/internal/codederr"

// Code is a stable, machine-readable reason. notify-scripts prints it next to
// the message and maps it to its exit code; the webapp may branch on it.
type Code string

// The codes.
const (
	CodeBadName     Code = "bad_name"     // not a plain "<name>.py"
	CodeNotFound    Code = "not_found"    // no such script
	CodeNotAllowed  Code = "not_allowed"  // user outside the analysts' group
	CodeCannotStart Code = "cannot_start" // no interpreter, or exec failed
	CodeTimeout     Code = "timeout"      // killed after the timeout
	CodeExitStatus  Code = "exit_status"  // the script exited non-zero
	CodeBadOutput   Code = "bad_output"   // stdout is not the JSON contract
	CodeInternal    Code = "internal"     // anything else (disk, permissions)
	CodeUsage       Code = "usage"        // a command called the wrong way
)

// Error is the one error type of the notify tools: a stable code, a message
// fit to show the analyst, and the cause (for logs).
type Error = codederr.Error[Code]

func newError(code Code, msg string, cause error) *Error {
	return codederr.New(code, msg, cause)
}

// CodeOf is err's code, CodeInternal for an error of another type.
func CodeOf(err error) Code { return codederr.CodeOf(err, CodeInternal) }

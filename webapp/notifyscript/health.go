package notifyscript

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Bounds on the stderr kept in a script's health: the last MaxStderrLines
// non-empty lines, each cut to MaxStderrLineBytes, control characters
// removed. It is the script's text, shown in alerts, the portal and the
// app, each of which escapes it.
const (
	MaxStderrLines     = 5
	MaxStderrLineBytes = 300
	// MaxErrorBytes bounds the last error kept beside them.
	MaxErrorBytes = 500
)

// Health is what the runner remembers about how a script has been doing,
// kept in its state file under "health". It is written by runner passes
// only: a run on demand (the portal's Run button) does not count towards
// the streak, so a user testing a fix does not reset what the runner saw.
type Health struct {
	LastOutcome    string     `json:"last_outcome,omitempty"` // protocol.Outcome*
	LastExitCode   *int       `json:"last_exit_code,omitempty"`
	LastRunAt      *time.Time `json:"last_run_at,omitempty"`
	LastDurationMS int64      `json:"last_duration_ms,omitempty"`
	LastStderr     []string   `json:"last_stderr,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastGood       *time.Time `json:"last_good,omitempty"`
	FailStreak     int        `json:"fail_streak,omitempty"`
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	// FailReason is the first failure's summary line, for the alert.
	FailReason string `json:"fail_reason,omitempty"`
	// FailAlerted: the script_failing alert of this streak reached a sink.
	FailAlerted bool `json:"fail_alerted,omitempty"`
	// ExpectEvery is the script's promise as it printed it ("1h").
	ExpectEvery string `json:"expect_every,omitempty"`
	// OverdueAlerted: the script_overdue alert reached a sink and no good
	// run has happened since.
	OverdueAlerted bool `json:"overdue_alerted,omitempty"`
}

// OutcomeOf is the outcome of a run that ended with err (nil: a good run,
// alerted tells which). ok is false when the run says nothing about the
// script's health: it was cancelled, or the script vanished.
func OutcomeOf(err error, alerted bool) (outcome string, ok bool) {
	if err == nil {
		if alerted {
			return protocol.OutcomeAlerted, true
		}
		return protocol.OutcomeQuiet, true
	}
	switch CodeOf(err) {
	case CodeTimeout:
		return protocol.OutcomeTimeout, true
	case CodeBadOutput:
		return protocol.OutcomeBadOutput, true
	case CodeExitStatus, CodeCannotStart:
		return protocol.OutcomeFailed, true
	}
	return "", false
}

// Record adds one pass's outcome. runErr is the run's error (nil for a good
// run); expectEvery is what a good run printed ("" forgets the promise).
func (h *Health) Record(outcome string, res Result, runErr error, expectEvery string, at time.Time) {
	at = at.UTC()
	h.LastOutcome = outcome
	h.LastRunAt = &at
	h.LastDurationMS = res.Duration.Milliseconds()
	h.LastStderr = StderrLines(res.Stderr)
	h.LastExitCode = nil
	if outcome == protocol.OutcomeFailed && res.ExitCode > 0 {
		code := res.ExitCode
		h.LastExitCode = &code
	}
	h.LastError = ""
	if runErr != nil {
		h.LastError = cutBytes(cleanLine(runErr.Error()), MaxErrorBytes)
	}
	if protocol.GoodOutcome(outcome) {
		h.LastGood = &at
		h.FailStreak, h.FailingSince, h.FailReason = 0, nil, ""
		h.ExpectEvery = expectEvery
		return
	}
	if h.FailStreak == 0 {
		h.FailingSince = &at
		h.FailReason = failReason(h.LastStderr, h.LastError)
	}
	h.FailStreak++
}

// Overdue reports whether the script's promise is broken at now: no good
// run within expect_every plus grace (one runner interval), and since when
// it was due.
func (h *Health) Overdue(now time.Time, grace time.Duration) (bool, time.Time) {
	if h.ExpectEvery == "" || h.LastGood == nil {
		return false, time.Time{}
	}
	d, err := ParseCooldown(h.ExpectEvery)
	if err != nil || d <= 0 {
		return false, time.Time{}
	}
	due := h.LastGood.Add(d)
	return now.After(due.Add(grace)), due
}

// View is h as `notify-scripts list` shows it; failAfter is the streak at
// which a script counts as failing; grace as for Overdue.
func (h *Health) View(now time.Time, failAfter int, grace time.Duration) *protocol.ScriptHealth {
	if h.LastRunAt == nil {
		return nil
	}
	v := &protocol.ScriptHealth{
		LastOutcome: h.LastOutcome, LastExitCode: h.LastExitCode, LastRunAt: rfc3339(h.LastRunAt),
		LastDuration: (time.Duration(h.LastDurationMS) * time.Millisecond).String(), LastGood: rfc3339(h.LastGood),
		FailStreak: h.FailStreak, FailingSince: rfc3339(h.FailingSince), Failing: h.FailStreak >= failAfter,
		ExpectEvery: h.ExpectEvery, LastError: h.LastError, LastStderr: h.LastStderr,
	}
	v.Overdue, _ = h.Overdue(now, grace)
	return v
}

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// StderrLines is the last MaxStderrLines non-empty lines of stderr, each
// cleaned of control characters and cut to MaxStderrLineBytes.
func StderrLines(stderr []byte) []string {
	var out []string
	for _, l := range strings.Split(strings.ToValidUTF8(string(stderr), "\uFFFD"), "\n") {
		if l = cutBytes(cleanLine(l), MaxStderrLineBytes); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > MaxStderrLines {
		out = out[len(out)-MaxStderrLines:]
	}
	return out
}

// failReason is the line an alert quotes: the first line of stderr, unless
// that is a Python traceback's header, whose last line names the error;
// the run's error when there is no stderr (a timeout, bad output).
func failReason(stderr []string, runErr string) string {
	if len(stderr) == 0 {
		return runErr
	}
	if strings.HasPrefix(stderr[0], "Traceback (most recent call last)") {
		return stderr[len(stderr)-1]
	}
	return stderr[0]
}

// cleanLine drops control characters (tabs become spaces) and trims.
func cleanLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s))
}

// cutBytes cuts s to at most max bytes on a rune boundary, marking the cut.
func cutBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseExpectEvery keeps an expect_every that means something: a positive
// duration in the cooldown syntax. Anything else is dropped with a warning
// (the alert itself still goes out).
func parseExpectEvery(s string, warnings *[]string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	d, err := ParseCooldown(s)
	if err != nil || d <= 0 {
		*warnings = append(*warnings, "expect_every "+strconv.Quote(short(s))+": use a number and a unit s, m, h, d or w (like 1h); ignored")
		return ""
	}
	return FormatCooldown(d)
}

package protocol

// Alert kinds. Every alert the system raises about itself (not a script's
// own alert) carries one in a "kind" field beside the usual notification
// fields, so apps, the bot and tests can tell them apart. A script's own
// alert has no kind.
const (
	KindScriptFailing   = "script_failing"   // no good run for NOTIFY_FAIL_ALERT_AFTER passes
	KindScriptRecovered = "script_recovered" // a failing or overdue script ran well again
	KindScriptOverdue   = "script_overdue"   // no good run within the script's expect_every
	KindRunnerSilent    = "runner_silent"    // a user's notify-runner stopped reporting
	KindRunnerBack      = "runner_back"      // and reports again
)

// Script outcomes: how one runner pass over one script ended. Alerted and
// quiet are good runs; the others count towards the failing streak.
const (
	OutcomeAlerted   = "alerted"    // ran and had something to say (sent or held back by the cooldown)
	OutcomeQuiet     = "quiet"      // ran, nothing to say
	OutcomeFailed    = "failed"     // non-zero exit, or it could not start
	OutcomeBadOutput = "bad_output" // exited 0 but did not print the JSON contract
	OutcomeTimeout   = "timeout"    // killed after the timeout
)

// Outcomes lists every outcome, for metrics and validation.
var Outcomes = []string{OutcomeAlerted, OutcomeQuiet, OutcomeFailed, OutcomeBadOutput, OutcomeTimeout}

// GoodOutcome reports whether o is a good run (alerted or quiet).
func GoodOutcome(o string) bool { return o == OutcomeAlerted || o == OutcomeQuiet }

// ScriptHealth is a script's health as `notify-scripts list` shows it (and
// with it the portal, the desktop Scripts tab and the bot's /scripts). Times
// are RFC 3339 UTC. LastError and LastStderr are the script's own text:
// untrusted, bounded by the runner, escaped wherever shown.
type ScriptHealth struct {
	// LastOutcome is one of the Outcome* values; "" before the first pass.
	LastOutcome  string `json:"last_outcome,omitempty"`
	LastExitCode *int   `json:"last_exit_code,omitempty"`
	LastRunAt    string `json:"last_run_at,omitempty"`
	LastDuration string `json:"last_duration,omitempty"` // Go duration, e.g. "1.2s"
	LastGood     string `json:"last_good,omitempty"`
	// FailStreak counts the passes in a row without a good run.
	FailStreak   int    `json:"fail_streak"`
	FailingSince string `json:"failing_since,omitempty"`
	// Failing is true once the streak reached the alert threshold (the
	// owner has been, or is being, told).
	Failing bool `json:"failing"`
	// ExpectEvery is the script's own promise ("1h"); Overdue is true when
	// it was broken and no good run has happened since.
	ExpectEvery string   `json:"expect_every,omitempty"`
	Overdue     bool     `json:"overdue,omitempty"`
	LastError   string   `json:"last_error,omitempty"`
	LastStderr  []string `json:"last_stderr,omitempty"`
}

// Health marks: the one word each view (portal, bot; the desktop page
// mirrors it in frontend/src/health.ts) shows a script's health with.
const (
	MarkOK   = "ok"   // working
	MarkWait = "wait" // the last run failed, not yet failing
	MarkBad  = "bad"  // failing or overdue
	MarkOff  = "off"  // no runner pass has seen it
)

// Mark is the tone of h's mark; h may be nil (no pass yet).
func (h *ScriptHealth) Mark() string {
	switch {
	case h == nil || h.LastOutcome == "":
		return MarkOff
	case h.Failing || h.Overdue:
		return MarkBad
	case h.FailStreak > 0:
		return MarkWait
	}
	return MarkOK
}

// Label is the mark in words: "Failing", "Overdue", "Failed last run",
// "Working", "Not run by the runner yet".
func (h *ScriptHealth) Label() string {
	switch {
	case h == nil || h.LastOutcome == "":
		return "Not run by the runner yet"
	case h.Failing:
		return "Failing"
	case h.Overdue:
		return "Overdue"
	case h.FailStreak > 0:
		return "Failed last run"
	}
	return "Working"
}

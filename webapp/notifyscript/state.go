package notifyscript

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"time"

	"github.com/keboola/analyst-alerts/internal/atomicfile"
	"github.com/keboola/analyst-alerts/internal/safeopen"
)

// State is what is remembered about one script between runs, in
// ~/.notifications/state/<stem>.json.
type State struct {
	// LastRun is when the script last ran (by the runner or on demand).
	LastRun *time.Time `json:"last_run,omitempty"`
	// LastNotified is when an alert of this script was last taken by at
	// least one sink; the cooldown counts from here.
	LastNotified *time.Time `json:"last_notified,omitempty"`
	// Cooldown is the cooldown of that alert, as the script gave it.
	Cooldown string `json:"cooldown,omitempty"`
	// LastError is the reason the last run failed ("" after a good run).
	LastError string `json:"last_error,omitempty"`
	// Health is the runner's record of how the script has been doing
	// (issue 15; see health.go). Older runners leave it alone.
	Health Health `json:"health,omitzero"`
	// The last alert and its acknowledgement (repeat.go).
	AckState
}

// ScriptStatus is one entry of `notify-scripts status`: a script's State as
// the runner sees it, with the end of its cooldown worked out.
type ScriptStatus struct {
	Name          string     `json:"name"`
	Stem          string     `json:"stem"`
	LastRun       *time.Time `json:"last_run"`
	LastNotified  *time.Time `json:"last_notified"`
	Cooldown      string     `json:"cooldown,omitempty"`
	CooldownUntil *time.Time `json:"cooldown_until"`
	LastError     string     `json:"last_error,omitempty"`
}

// InCooldown reports whether an alert with cooldown d, due at now, must stay
// quiet, and until when.
func (s State) InCooldown(now time.Time, d time.Duration) (bool, time.Time) {
	if s.LastNotified == nil || d <= 0 {
		return false, time.Time{}
	}
	until := s.LastNotified.Add(d)
	return now.Before(until), until
}

// maxStateBytes bounds a state file; ours are a few hundred bytes.
const maxStateBytes = 64 << 10

func (h Home) statePath(stem string) string { return filepath.Join(h.StateDir(), stem+".json") }

// LoadState reads a script's state; a missing file is the zero State. A
// corrupt file is an error, so a cooldown is never silently forgotten.
func (h Home) LoadState(stem string) (State, error) {
	var s State
	// safeopen: a FIFO or a link planted in place of the file must not
	// block the runner or the helper (the webapp waits on its list).
	b, err := safeopen.ReadFile(h.statePath(stem), maxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, newError(CodeInternal, "cannot read state of "+stem, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, newError(CodeInternal, fmt.Sprintf("state file %s is corrupt", h.statePath(stem)), err)
	}
	if s.LastNotified == nil {
		t, err := legacyLastSent(b)
		if err != nil {
			return State{}, newError(CodeInternal, fmt.Sprintf("state file %s is corrupt", h.statePath(stem)), err)
		}
		s.LastNotified = t
	}
	return s, nil
}

// legacyLastSent reads the state file of the runner this one replaces,
// {"last_sent": <unix seconds>} (Python's time.time(), so it may have a
// fraction), as the time of the last alert: a migrated user's cooldowns
// hold instead of every script alerting again at its first run here. The
// next save writes last_notified, and the old field is gone. It returns nil
// when the file has no last_sent.
func legacyLastSent(b []byte) (*time.Time, error) {
	var old struct {
		LastSent *json.Number `json:"last_sent"`
	}
	if err := json.Unmarshal(b, &old); err != nil || old.LastSent == nil {
		return nil, err
	}
	secs, err := old.LastSent.Float64()
	if err != nil || secs <= 0 || math.IsInf(secs, 0) || secs > maxLegacySeconds {
		return nil, fmt.Errorf("last_sent %s is not a time in unix seconds", old.LastSent.String())
	}
	// To the microsecond, as Python's time.time() has it (a float64 of
	// seconds since 1970 holds no finer).
	whole, frac := math.Modf(secs)
	t := time.Unix(int64(whole), int64(math.Round(frac*1e6))*1e3).UTC()
	return &t, nil
}

// maxLegacySeconds (the year 2262) keeps a last_sent within what a
// time.Duration of nanoseconds since 1970 can hold.
const maxLegacySeconds = float64(math.MaxInt64 / int64(time.Second))

// SaveState writes a script's state atomically (temp file, then rename), so
// a crash leaves the old state or the new, never half of one.
func (h Home) SaveState(stem string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return newError(CodeInternal, "cannot encode state", err)
	}
	if err := atomicfile.Write(h.statePath(stem), append(b, '\n'), 0o600); err != nil {
		return newError(CodeInternal, "cannot write state of "+stem, err)
	}
	return nil
}

// Ago renders how long before now t was, the way `notify-scripts list`
// shows last_run: "just now", "5m ago", "3h ago", "2d ago".
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
}

package notifyscript

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	// The zone database inside the binary: a zone the analyst names is
	// found on a host without /usr/share/zoneinfo too.
	_ "time/tzdata"

	"github.com/gofrs/flock"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/atomicfile"
	"github.com/keboola/analyst-alerts/internal/safeopen"
)

// CodeBadInput: a snooze or quiet-hours setting that does not parse or makes
// no sense (a duration that does not parse, a time in the past, an unknown
// zone, a window of zero length). Nothing is changed.
const CodeBadInput Code = "bad_input"

// Settings are a user's own delivery settings, in
// ~/.notifications/settings.json: written by `notify-scripts` run as the
// user (the webapp and the bot go through it), read by notify-runner as the
// user. The runner enforces them, so they hold for every channel.
type Settings struct {
	// Snoozed maps a script's stem to the end of its snooze.
	Snoozed map[string]time.Time `json:"snoozed,omitempty"`
	// Quiet is the user's quiet hours; nil when off.
	Quiet *QuietHours `json:"quiet,omitempty"`
}

// QuietHours is a daily window ("22:00"-"07:00", across midnight when the
// end is earlier than the start) in a zone ("" the server's), the wire
// contract's.
type QuietHours = protocol.QuietHours

// MaxSnooze bounds a snooze, as MaxCooldown bounds a cooldown.
const MaxSnooze = MaxCooldown

// maxSettingsBytes bounds the settings file; ours are a few hundred bytes.
const maxSettingsBytes = 256 << 10

// SettingsPath is the settings file.
func (h Home) SettingsPath() string {
	return filepath.Join(string(h), ".notifications", "settings.json")
}

// SnoozedUntil is the end of stem's snooze when it is snoozed at now.
func (s Settings) SnoozedUntil(stem string, now time.Time) (time.Time, bool) {
	t, ok := s.Snoozed[stem]
	if !ok || !now.Before(t) {
		return time.Time{}, false
	}
	return t, true
}

// LoadSettings reads the settings; a missing file is no settings. A corrupt
// one is an error: the caller decides (the runner delivers as if none).
func (h Home) LoadSettings() (Settings, error) {
	var s Settings
	b, err := safeopen.ReadFile(h.SettingsPath(), maxSettingsBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, newError(CodeInternal, "cannot read the delivery settings", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, newError(CodeInternal, fmt.Sprintf("settings file %s is corrupt", h.SettingsPath()), err)
	}
	if s.Quiet != nil {
		if _, err := checkQuiet(*s.Quiet); err != nil {
			return Settings{}, newError(CodeInternal, fmt.Sprintf("settings file %s: quiet hours: %v", h.SettingsPath(), err), nil)
		}
	}
	return s, nil
}

// UpdateSettings applies change to the settings under a lock (two helpers
// at once, from the portal and the bot, must not lose each other's change)
// and writes them atomically. When change fails nothing is written. Ended
// snoozes are dropped on the way.
func (h Home) UpdateSettings(now time.Time, change func(*Settings) error) (Settings, error) {
	dir := filepath.Dir(h.SettingsPath())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Settings{}, newError(CodeInternal, "cannot create "+dir, err)
	}
	lock := flock.New(h.SettingsPath() + ".lock")
	if err := lock.Lock(); err != nil {
		return Settings{}, newError(CodeInternal, "cannot lock the delivery settings", err)
	}
	defer func() { _ = lock.Unlock() }()
	s, err := h.LoadSettings()
	if err != nil {
		return Settings{}, err
	}
	if err := change(&s); err != nil {
		return Settings{}, err
	}
	for stem, until := range s.Snoozed {
		if !now.Before(until) {
			delete(s.Snoozed, stem)
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return Settings{}, newError(CodeInternal, "cannot encode the delivery settings", err)
	}
	if err := atomicfile.Write(h.SettingsPath(), append(b, '\n'), 0o600); err != nil {
		return Settings{}, newError(CodeInternal, "cannot write the delivery settings", err)
	}
	return s, nil
}

// ParseSnoozeUntil reads how long to snooze: a duration as a cooldown is
// written ("30m", "1h", "1d", at most MaxSnooze) counted from now, or an
// RFC 3339 time. Zero, a time not after now, or anything else is an error.
func ParseSnoozeUntil(arg string, now time.Time) (time.Time, error) {
	arg = strings.TrimSpace(arg)
	if t, err := time.Parse(time.RFC3339, arg); err == nil {
		if !t.After(now) {
			return time.Time{}, newError(CodeBadInput, fmt.Sprintf("snooze until %s: that time has passed", arg), nil)
		}
		if t.Sub(now) > MaxSnooze {
			return time.Time{}, newError(CodeBadInput, fmt.Sprintf("snooze until %s: more than %s ahead", arg, FormatCooldown(MaxSnooze)), nil)
		}
		return t.UTC(), nil
	}
	if arg == "" || arg == "0" {
		return time.Time{}, newError(CodeBadInput, fmt.Sprintf("snooze %q: give a duration (30m, 1h, 1d) or an RFC 3339 time", short(arg)), nil)
	}
	d, err := ParseCooldown(arg)
	if err != nil || d <= 0 {
		return time.Time{}, newError(CodeBadInput, fmt.Sprintf("snooze %q: give a duration (30m, 1h, 1d) or an RFC 3339 time (2026-01-02T15:04:05Z)", short(arg)), nil)
	}
	return now.Add(d).UTC(), nil
}

var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)

// ParseQuietHours reads "HH:MM-HH:MM" (24-hour clock) and a zone ("" for
// the server's local zone). A window of zero length or an unknown zone is
// an error.
func ParseQuietHours(window, zone string) (QuietHours, error) {
	start, end, ok := strings.Cut(strings.TrimSpace(window), "-")
	q := QuietHours{Start: strings.TrimSpace(start), End: strings.TrimSpace(end), Zone: strings.TrimSpace(zone)}
	if !ok {
		return QuietHours{}, newError(CodeBadInput, fmt.Sprintf("quiet hours %q: write them as HH:MM-HH:MM (like 22:00-07:00)", short(window)), nil)
	}
	if _, err := checkQuiet(q); err != nil {
		return QuietHours{}, newError(CodeBadInput, fmt.Sprintf("quiet hours %q: %v", short(window), err), nil)
	}
	return q, nil
}

// checkQuiet validates q and returns its zone.
func checkQuiet(q QuietHours) (*time.Location, error) {
	for _, c := range []string{q.Start, q.End} {
		if !clockRE.MatchString(c) {
			return nil, fmt.Errorf("%q is not a time of day HH:MM (00:00 to 23:59)", short(c))
		}
	}
	if q.Start == q.End {
		return nil, errors.New("the window has zero length (start and end are the same)")
	}
	return quietZone(q)
}

func quietZone(q QuietHours) (*time.Location, error) {
	if q.Zone == "" {
		return time.Local, nil
	}
	// LoadLocation also takes a path-like name; a zone is letters, digits,
	// '/', '_', '-' and '+'.
	if strings.Contains(q.Zone, "..") || strings.HasPrefix(q.Zone, "/") || q.Zone == "Local" {
		return nil, fmt.Errorf("time zone %q does not exist (use an IANA name like Europe/Prague)", short(q.Zone))
	}
	loc, err := time.LoadLocation(q.Zone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q does not exist (use an IANA name like Europe/Prague)", short(q.Zone))
	}
	return loc, nil
}

func minuteOfDay(hhmm string) int {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	return h*60 + m
}

// InQuietHours reports whether now falls within q (start included, end
// not). No quiet hours (nil), or ones that do not check, are never in.
func InQuietHours(q *QuietHours, now time.Time) bool {
	if q == nil {
		return false
	}
	loc, err := checkQuiet(*q)
	if err != nil {
		return false
	}
	local := now.In(loc)
	m := local.Hour()*60 + local.Minute()
	s, e := minuteOfDay(q.Start), minuteOfDay(q.End)
	if s < e {
		return s <= m && m < e
	}
	return m >= s || m < e
}

// Held is what the runner held back during quiet hours, in
// ~/.notifications/quiet-held.json: the alerts delivered silently since the
// quiet hours began, for the one summary when they end. Only the runner
// writes it (under its lock).
type Held struct {
	Count int        `json:"count"`
	Since *time.Time `json:"since,omitempty"`
}

func (h Home) heldPath() string {
	return filepath.Join(string(h), ".notifications", "quiet-held.json")
}

// LoadHeld reads the quiet-hours count; missing is zero.
func (h Home) LoadHeld() (Held, error) {
	var v Held
	b, err := safeopen.ReadFile(h.heldPath(), maxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return v, newError(CodeInternal, "cannot read the quiet-hours count", err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return Held{}, newError(CodeInternal, fmt.Sprintf("%s is corrupt", h.heldPath()), err)
	}
	return v, nil
}

// SaveHeld writes the quiet-hours count atomically.
func (h Home) SaveHeld(v Held) error {
	b, _ := json.Marshal(v)
	if err := os.MkdirAll(filepath.Dir(h.heldPath()), 0o700); err != nil {
		return newError(CodeInternal, "cannot create the state folder", err)
	}
	if err := atomicfile.Write(h.heldPath(), append(b, '\n'), 0o600); err != nil {
		return newError(CodeInternal, "cannot write the quiet-hours count", err)
	}
	return nil
}

// SnoozeResult is what `notify-scripts snooze|unsnooze` prints: the stem
// and the end of its snooze, null when not snoozed.
type SnoozeResult = protocol.SnoozeResponse

// QuietResult is what `notify-scripts quiet` prints: the quiet hours now
// set, null when off.
type QuietResult = protocol.QuietResponse

// ScriptArg turns a script named by a caller ("x.py", or the stem "x" as
// an alert and the Telegram button carry it) into a checked file name.
func ScriptArg(arg string) (string, error) {
	name := arg
	if !strings.HasSuffix(name, ".py") {
		name += ".py"
	}
	if err := ValidName(name); err != nil {
		return "", err
	}
	return name, nil
}

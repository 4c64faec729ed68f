// Package notifyscript is the analysts' notification-script contract and the
// one way such a script is run: script names, the JSON a script prints, the
// cooldown syntax, where scripts and their state live in a home folder, and
// running one script with a timeout that kills its whole process group.
//
// notify-runner (cron), notify-scripts (run through sudo as the user) and the
// webapp (which reads notify-scripts' JSON) all use this package, so the
// contract is written down once.
package notifyscript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// DefaultCooldown applies when a script names none.
const DefaultCooldown = time.Hour

// MaxCooldown bounds a cooldown so a typo cannot silence a script for years.
const MaxCooldown = 366 * 24 * time.Hour

// MaxImagePathBytes is PATH_MAX: a longer image_path is dropped, with a
// warning.
const MaxImagePathBytes = 4096

// Bounds on what a script hands over, from the notification budget in
// gateway/protocol. A longer title or message is cut and a bigger data
// object replaced by a DataDropped marker (each with a warning), never
// refused: the alert still goes out, and always fits in one gateway frame.
const (
	MaxTitleRunes   = protocol.MaxNotificationTitleRunes
	MaxMessageRunes = protocol.MaxNotificationMessageRunes
	MaxDataBytes    = protocol.MaxNotificationDataBytes
)

// Output is the JSON object a script prints on stdout.
type Output struct {
	// Notify says whether to send an alert; required.
	Notify bool `json:"notify"`
	// Title and Message are untrusted text: every sink escapes them.
	Title   string `json:"title,omitempty"`
	Message string `json:"message,omitempty"`
	// ImagePath is a PNG or JPEG file the script made, readable by the user.
	ImagePath string `json:"image_path,omitempty"`
	// Cooldown is how long to stay quiet after an alert ("30m", "1h", "1d");
	// empty means DefaultCooldown.
	Cooldown string `json:"cooldown,omitempty"`
	// Data is whatever object the script adds, passed through as
	// encoding/json writes it, or a DataDropped marker when it is bigger
	// than MaxDataBytes.
	Data json.RawMessage `json:"data,omitempty"`
	// ExpectEvery is the script's promise to have a good run at least this
	// often ("1h", the cooldown syntax); the runner tells the owner when it
	// is broken. Empty: no promise. One not understood is dropped with a
	// warning.
	ExpectEvery string `json:"expect_every,omitempty"`
	// RepeatUntilAck asks the runner to send the alert again every this
	// long until it is acknowledged (repeat.go); empty: no repeat.
	RepeatUntilAck string `json:"repeat_until_ack,omitempty"`
	// Warnings are notes about the output that did not stop it (a title
	// cut to length, an unknown cooldown). Not part of the script's JSON.
	Warnings []string `json:"warnings,omitempty"`
}

// wireOutput decodes a script's JSON with presence and type checks.
type wireOutput struct {
	Notify      *bool           `json:"notify"`
	Title       *string         `json:"title"`
	Message     *string         `json:"message"`
	ImagePath   *string         `json:"image_path"`
	Cooldown    *string         `json:"cooldown"`
	Data        json.RawMessage `json:"data"`
	ExpectEvery *string         `json:"expect_every"`
	Repeat      *string         `json:"repeat_until_ack"`
}

// ParseOutput reads a script's stdout: exactly one JSON object (surrounding
// whitespace allowed) with a boolean "notify". Wrong types are errors; text
// is cleaned of control characters and cut to length, with a warning. An
// unknown cooldown is a warning too (the default applies), so a typo never
// loses an alert.
func ParseOutput(stdout []byte) (Output, error) {
	trimmed := bytes.TrimSpace(stdout)
	if len(trimmed) == 0 {
		return Output{}, newError(CodeBadOutput, "script printed nothing; it must print one JSON object such as {\"notify\": false}", nil)
	}
	if trimmed[0] != '{' {
		return Output{}, newError(CodeBadOutput, "script output is not a JSON object (print debugging to stderr, not stdout)", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var w wireOutput
	if err := dec.Decode(&w); err != nil {
		return Output{}, newError(CodeBadOutput, "script output is not valid JSON: "+describeJSONError(err), nil)
	}
	if dec.More() {
		return Output{}, newError(CodeBadOutput, "script printed more than one JSON value (print debugging to stderr, not stdout)", nil)
	}
	if w.Notify == nil {
		return Output{}, newError(CodeBadOutput, `script output has no "notify" field (true or false)`, nil)
	}
	out := Output{Notify: *w.Notify}
	if w.Title != nil {
		out.Title = *w.Title
	}
	if w.Message != nil {
		out.Message = *w.Message
	}
	if w.ImagePath != nil {
		out.ImagePath = strings.TrimSpace(*w.ImagePath)
		// No system opens a longer path; dropping it here keeps a
		// megabyte of "path" out of the logs and the Run answer.
		if len(out.ImagePath) > MaxImagePathBytes {
			out.Warnings = append(out.Warnings, fmt.Sprintf("image_path is longer than %d bytes; the alert goes without the image", MaxImagePathBytes))
			out.ImagePath = ""
		}
	}
	if w.Cooldown != nil {
		out.Cooldown = strings.TrimSpace(*w.Cooldown)
		if _, err := ParseCooldown(out.Cooldown); err != nil {
			// Not kept: the state and the Run answer hold only a cooldown
			// that means something (and a bounded warning says which not).
			out.Warnings = append(out.Warnings, err.Error()+"; using the default "+FormatCooldown(DefaultCooldown))
			out.Cooldown = ""
		}
	}
	if w.ExpectEvery != nil {
		out.ExpectEvery = parseExpectEvery(*w.ExpectEvery, &out.Warnings)
	}
	if w.Repeat != nil {
		// Like a bad cooldown, a bad repeat warns and the alert still goes.
		if _, err := ParseRepeat(*w.Repeat); err != nil {
			out.Warnings = append(out.Warnings, err.Error()+"; the alert is sent once")
		} else {
			out.RepeatUntilAck = strings.TrimSpace(*w.Repeat)
		}
	}
	if d := bytes.TrimSpace(w.Data); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		if d[0] != '{' {
			return Output{}, newError(CodeBadOutput, `"data" must be a JSON object`, nil)
		}
		out.Data = append(json.RawMessage(nil), d...)
	}
	return out.Fit(), nil
}

// Fit applies the notification budget: control characters are removed from
// the text, which is cut to MaxTitleRunes and MaxMessageRunes, and data is
// re-encoded as encoding/json writes it and replaced by a DataDropped marker
// when it is bigger than MaxDataBytes (or not a JSON object). Each cut adds
// a warning. ParseOutput calls it; a dispatcher that got an Output from
// elsewhere (the webapp, from the helper's JSON) calls it again before
// dispatching, so the bound holds whoever produced the Output. Fitting a
// fitted Output changes nothing and adds no warning.
func (o Output) Fit() Output {
	o.Warnings = slices.Clone(o.Warnings)
	o.Title = cleanText(o.Title, false, MaxTitleRunes, "title", &o.Warnings)
	o.Message = cleanText(o.Message, true, MaxMessageRunes, "message", &o.Warnings)
	if len(o.Data) > 0 {
		var warning string
		o.Data, warning = FitData(o.Data)
		if warning != "" {
			o.Warnings = append(o.Warnings, warning)
		}
	}
	return o
}

// DataDropped replaces a script's data that a notification cannot carry, so
// the alert says what is missing rather than arriving without a trace of it.
type DataDropped struct {
	Dropped  string `json:"dropped"`             // why, in words
	Bytes    int    `json:"bytes,omitempty"`     // the size of the data dropped
	MaxBytes int    `json:"max_bytes,omitempty"` // MaxDataBytes
}

// FitData returns data as encoding/json writes it (compact; '<', '>' and
// '&' escaped, so it does not grow when a dispatcher marshals it again), or,
// when that is more than MaxDataBytes or not a JSON object, a DataDropped
// marker and a warning saying so. Empty or null data stays empty.
func FitData(data json.RawMessage) (json.RawMessage, string) {
	d := bytes.TrimSpace(data)
	if len(d) == 0 || bytes.Equal(d, []byte("null")) {
		return nil, ""
	}
	enc, err := json.Marshal(json.RawMessage(d))
	if err != nil || d[0] != '{' {
		m, _ := json.Marshal(DataDropped{Dropped: "data was not a JSON object"})
		return m, `"data" is not a JSON object; dropped`
	}
	if len(enc) > MaxDataBytes {
		m, _ := json.Marshal(DataDropped{Dropped: "data too large for a notification", Bytes: len(enc), MaxBytes: MaxDataBytes})
		return m, fmt.Sprintf(`"data" is %d bytes, more than the %d a notification may carry; replaced by {"dropped":...}`, len(enc), MaxDataBytes)
	}
	return enc, ""
}

// Notification is what the notify tools dispatch to the gateway for a
// script's alert: the seed's fields plus the script's data object.
type Notification struct {
	protocol.Notification
	Data json.RawMessage `json:"data,omitempty"`
	// Kind marks the alerts the runner raises about a script's health
	// (protocol.Kind*); a script's own alert has none.
	Kind string `json:"kind,omitempty"`
}

// CooldownDuration is the output's cooldown, DefaultCooldown when it is
// empty or not understood.
func (o Output) CooldownDuration() time.Duration {
	d, err := ParseCooldown(o.Cooldown)
	if err != nil {
		return DefaultCooldown
	}
	return d
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "ptr":
		return "a JSON value of the right type"
	}
	return goKind
}

// cleanText drops control characters (keeping newlines and tabs in a
// message; a title is one line) and cuts the text to max runes.
func cleanText(s string, multiline bool, max int, field string, warnings *[]string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			if multiline {
				return r
			}
			return ' '
		case r == '\r':
			return -1
		case unicode.IsControl(r), r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
		*warnings = append(*warnings, fmt.Sprintf("%s cut to %d characters", field, max))
	}
	return s
}

var cooldownUnits = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

// ParseCooldown reads a cooldown: a whole number and a unit, s, m, h, d or w
// ("30m", "1h", "6h", "1d", "2w"), or "0" for none. Empty means
// DefaultCooldown. At most MaxCooldown.
func ParseCooldown(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return DefaultCooldown, nil
	}
	if s == "0" {
		return 0, nil
	}
	unit, ok := cooldownUnits[s[len(s)-1]]
	if !ok {
		return 0, fmt.Errorf("cooldown %q: use a number and a unit s, m, h, d or w (like 30m, 1h, 1d)", short(s))
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("cooldown %q: use a number and a unit s, m, h, d or w (like 30m, 1h, 1d)", short(s))
	}
	d := time.Duration(n) * unit
	if d > MaxCooldown || d/unit != time.Duration(n) {
		return 0, fmt.Errorf("cooldown %q is longer than %s", s, FormatCooldown(MaxCooldown))
	}
	return d, nil
}

// short is s for an error message: at most 32 bytes of it, whole runes.
func short(s string) string {
	if len(s) <= 32 {
		return s
	}
	cut := 32
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// FormatCooldown writes d in the largest unit that divides it ("1h", "90m").
func FormatCooldown(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// RunResult is what `notify-scripts run NAME` prints on success: the
// script's Output plus the script's stem and, when the script gave an image
// that was taken, the URL the webapp serves it at (or why it was not taken).
// The webapp decodes this to dispatch the alert.
type RunResult struct {
	Output
	Script     string `json:"script"`
	ImageURL   string `json:"image_url,omitempty"`
	ImageError string `json:"image_error,omitempty"`
}

// ErrorResult is what the notify tools print when a command fails: the
// message, its stable code, and for a script that failed the end of its
// stderr.
type ErrorResult struct {
	Error  string `json:"error"`
	Code   Code   `json:"code"`
	Stderr string `json:"stderr,omitempty"`
}

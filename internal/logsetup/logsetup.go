// Package logsetup is the one way the programs here make their logger from
// their configuration: the level and format words every configuration
// accepts, and handlers that write what a person reads. Durations come out
// in seconds ("1.309s"), not slog's JSON default of nanoseconds
// ("in":1308815552), in text and JSON alike.
package logsetup

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Levels are the words a LOG_LEVEL variable accepts, in order.
const Levels = "debug, info, warn or error"

// ParseLevel reads one of the four level words (any case). slog's own
// UnmarshalText also takes "info+2" and the like, which no documentation
// here promises; one parser keeps the four programs agreeing.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not %s", s, Levels)
}

// Formats of a LOG_FORMAT variable.
const (
	Text = "text"
	JSON = "json"
)

// ParseFormat reads "text" or "json" (any case).
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case Text, JSON:
		return f, nil
	}
	return "", fmt.Errorf("%q is neither text nor json", s)
}

// New returns a logger writing format (Text or JSON) to w at level.
func New(w io.Writer, format string, level slog.Level) *slog.Logger {
	return slog.New(Handler(w, format, &slog.HandlerOptions{Level: level}))
}

// Handler returns the handler for format (JSON, anything else is Text)
// with opts, its ReplaceAttr (if any) applied after durations are made
// readable.
func Handler(w io.Writer, format string, opts *slog.HandlerOptions) slog.Handler {
	o := slog.HandlerOptions{}
	if opts != nil {
		o = *opts
	}
	next := o.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		a = readableDuration(a)
		if next != nil {
			return next(groups, a)
		}
		return a
	}
	if format == JSON {
		return slog.NewJSONHandler(w, &o)
	}
	return slog.NewTextHandler(w, &o)
}

// readableDuration writes a duration as Go writes it ("1.309s", "250µs"),
// rounded to what a reader cares about: milliseconds from a millisecond
// up, microseconds below.
func readableDuration(a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	return slog.String(a.Key, Duration(a.Value.Duration()))
}

// Duration is d as logs write it: "1.309s", "2m0s", "250µs".
func Duration(d time.Duration) string {
	if d >= time.Millisecond || d <= -time.Millisecond {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

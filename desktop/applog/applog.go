// Package applog sets up the app's log/slog logging: JSON lines in a
// size-bounded file in the OS log folder (lumberjack rotates it: a proven
// library, and a log that cannot grow without bound needs exactly that),
// every record tagged subsystem=com.keboola.analyst, and anything that looks
// like a token replaced before it is written, wherever it appears.
package applog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/keboola/analyst-alerts/internal/logsetup"
)

// Subsystem tags every record, as the seed's os.log subsystem did.
const Subsystem = "com.keboola.analyst"

// File is the log file's name in the log folder.
const File = "analyst.log"

// Bounds of the log: 5 MB per file, 3 old files kept.
const (
	MaxMegabytes = 5
	MaxBackups   = 3
)

var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// Redact replaces anything token-shaped in s.
func Redact(s string) string { return jwtLike.ReplaceAllString(s, "[redacted token]") }

// Open returns a logger writing to dir/analyst.log (and to extra, if not
// nil, e.g. stderr in development) and the file to close at exit.
func Open(dir string, level slog.Level, extra io.Writer) (*slog.Logger, io.Closer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create log folder %s: %w", dir, err)
	}
	lj := &lumberjack.Logger{Filename: filepath.Join(dir, File), MaxSize: MaxMegabytes, MaxBackups: MaxBackups}
	var w io.Writer = lj
	if extra != nil {
		w = io.MultiWriter(lj, extra)
	}
	return New(w, level), lj, nil
}

// New returns a redacting JSON logger writing to w.
func New(w io.Writer, level slog.Level) *slog.Logger {
	h := logsetup.Handler(w, logsetup.JSON, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr})
	return slog.New(redacting{h}).With(slog.String("subsystem", Subsystem))
}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Key {
	case "token", "authorization", "Authorization":
		return slog.String(a.Key, "[redacted]")
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(a.Value.String()))
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, Redact(err.Error()))
		}
		if s, ok := a.Value.Any().(fmt.Stringer); ok {
			return slog.String(a.Key, Redact(s.String()))
		}
	}
	return a
}

// redacting also cleans the message, which ReplaceAttr does not see.
type redacting struct{ slog.Handler }

func (r redacting) Handle(ctx context.Context, rec slog.Record) error {
	rec.Message = Redact(rec.Message)
	return r.Handler.Handle(ctx, rec)
}

func (r redacting) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = redactAttr(nil, a)
	}
	return redacting{r.Handler.WithAttrs(clean)}
}

func (r redacting) WithGroup(name string) slog.Handler { return redacting{r.Handler.WithGroup(name)} }

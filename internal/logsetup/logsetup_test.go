package logsetup

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, " warn": slog.LevelWarn, "Error": slog.LevelError} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "verbose", "info+2", "warning"} {
		if _, err := ParseLevel(in); err == nil || !strings.Contains(err.Error(), Levels) {
			t.Errorf("ParseLevel(%q): %v; want an error naming %s", in, err, Levels)
		}
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := ParseFormat("JSON"); err != nil || f != JSON {
		t.Errorf("ParseFormat(JSON) = %q, %v", f, err)
	}
	if _, err := ParseFormat("logfmt"); err == nil {
		t.Error("ParseFormat(logfmt) accepted")
	}
}

// The example: a JSON log said "in":1308815552.
func TestDurationsAreWrittenInSecondsNotNanoseconds(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, JSON, slog.LevelInfo).Info("reconnecting", slog.Duration("in", 1308815552), "delay", 250*time.Microsecond+7)
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["in"] != "1.309s" || got["delay"] != "250µs" {
		t.Fatalf("JSON durations: %s", buf.String())
	}
	buf.Reset()
	New(&buf, Text, slog.LevelInfo).With(slog.Duration("took", 90*time.Second)).Info("done")
	if !strings.Contains(buf.String(), "took=1m30s") {
		t.Fatalf("text duration: %s", buf.String())
	}
}

func TestHandlerKeepsTheCallersReplaceAttr(t *testing.T) {
	var buf bytes.Buffer
	redact := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "token" {
			return slog.String("token", "[redacted]")
		}
		return a
	}
	slog.New(Handler(&buf, JSON, &slog.HandlerOptions{ReplaceAttr: redact})).Info("x", "token", "secret", "in", time.Second)
	if s := buf.String(); strings.Contains(s, "secret") || !strings.Contains(s, `"in":"1s"`) {
		t.Fatalf("%s", s)
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, Text, slog.LevelWarn).Info("hidden")
	if buf.Len() != 0 {
		t.Fatalf("info logged at warn: %s", buf.String())
	}
}

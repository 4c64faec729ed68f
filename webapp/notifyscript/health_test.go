package notifyscript

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func TestStderrLinesAreBoundedAndClean(t *testing.T) {
	var b strings.Builder
	for i := range 8 {
		b.WriteString(strings.Repeat("é", 400) + string(rune('0'+i)) + "\x1b[31m\r\n\n")
	}
	lines := StderrLines([]byte(b.String() + "\xff\xfelast\tline\n"))
	if len(lines) != MaxStderrLines || lines[len(lines)-1] != "\uFFFDlast line" {
		t.Fatalf("%q", lines)
	}
	for _, l := range lines[:len(lines)-1] {
		if len(l) > MaxStderrLineBytes || !strings.HasSuffix(l, "…") || strings.ContainsAny(l, "\x1b\r") {
			t.Fatalf("line %q (%d bytes)", l, len(l))
		}
	}
}

func TestRecordStreakAndReason(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 9, 5, 0, 0, time.UTC)
	var h Health
	tb := []byte("Traceback (most recent call last):\n  File \"x.py\"\nKeyError: 'revenue'\n")
	h.Record(protocol.OutcomeFailed, Result{Stderr: tb, ExitCode: 1}, errors.New("x.py exited with status 1"), "", t0)
	h.Record(protocol.OutcomeTimeout, Result{}, errors.New("x.py did not finish"), "", t0.Add(time.Minute))
	if h.FailStreak != 2 || !h.FailingSince.Equal(t0) || h.FailReason != "KeyError: 'revenue'" || h.LastExitCode != nil {
		t.Fatalf("%+v", h)
	}
	h.Record(protocol.OutcomeQuiet, Result{}, nil, "2h", t0.Add(2*time.Minute))
	if h.FailStreak != 0 || h.FailingSince != nil || h.ExpectEvery != "2h" || !h.LastGood.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("%+v", h)
	}
	var g Health
	g.Record(protocol.OutcomeBadOutput, Result{}, errors.New("x.py: script printed nothing"), "", t0)
	if g.FailReason != "x.py: script printed nothing" {
		t.Fatalf("%+v", g)
	}
}

func TestOverdue(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	h := Health{LastGood: &t0, ExpectEvery: "1h"}
	if o, _ := h.Overdue(t0.Add(time.Hour+5*time.Minute), 5*time.Minute); o {
		t.Fatal("overdue within the grace")
	}
	if o, due := h.Overdue(t0.Add(time.Hour+5*time.Minute+time.Second), 5*time.Minute); !o || !due.Equal(t0.Add(time.Hour)) {
		t.Fatal("not overdue past the grace")
	}
	if o, _ := (&Health{LastGood: &t0}).Overdue(t0.Add(1000*time.Hour), 0); o {
		t.Fatal("overdue without a promise")
	}
}

func TestExpectEveryParsed(t *testing.T) {
	out, err := ParseOutput([]byte(`{"notify": false, "expect_every": "60m"}`))
	if err != nil || out.ExpectEvery != "1h" || len(out.Warnings) != 0 {
		t.Fatalf("%+v %v", out, err)
	}
	for _, bad := range []string{`"soon"`, `"0"`, `"-1h"`} {
		out, err := ParseOutput([]byte(`{"notify": false, "expect_every": ` + bad + `}`))
		if err != nil || out.ExpectEvery != "" || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "expect_every") {
			t.Fatalf("%s: %+v %v", bad, out, err)
		}
	}
	if _, err := ParseOutput([]byte(`{"notify": false, "expect_every": 3600}`)); CodeOf(err) != CodeBadOutput {
		t.Fatalf("a number: %v", err)
	}
}

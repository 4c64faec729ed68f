package notifyscript

import (
	"strings"
	"testing"
	"time"
)

func TestRepeatUntilAckOutput(t *testing.T) {
	out, err := ParseOutput([]byte(`{"notify":true,"title":"t","repeat_until_ack":"15m"}`))
	if err != nil || out.RepeatUntilAck != "15m" || len(out.Warnings) != 0 {
		t.Fatalf("%+v %v", out, err)
	}
	// Below the minimum, beyond 24 h, or not a duration: a warning, and the
	// alert still goes (once).
	for _, bad := range []string{"30s", "2d", "soon", "0", ""} {
		out, err := ParseOutput([]byte(`{"notify":true,"repeat_until_ack":"` + bad + `"}`))
		if err != nil || out.RepeatUntilAck != "" || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "repeat_until_ack") {
			t.Errorf("%q: %+v %v", bad, out, err)
		}
	}
}

func TestRepeatDue(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := Repeat{Every: "15m", FirstSent: t0, LastSent: t0}
	for _, c := range []struct {
		at        time.Duration
		due, over bool
	}{{14 * time.Minute, false, false}, {15 * time.Minute, true, false}, {24*time.Hour - time.Second, true, false}, {24 * time.Hour, false, true}} {
		if due, over := r.Due(t0.Add(c.at)); due != c.due || over != c.over {
			t.Errorf("at %v: due %v over %v", c.at, due, over)
		}
	}
}

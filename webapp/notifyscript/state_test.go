package notifyscript

import (
	"os"
	"strings"
	"testing"
	"time"
)

// The replaced runner's {"last_sent": <unix seconds>} is the last alert;
// a value that is no time is a corrupt file, not a forgotten cooldown.
func TestLoadStateReadsTheReplacedRunnersLastSent(t *testing.T) {
	h := Home(t.TempDir())
	if err := os.MkdirAll(h.StateDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		want time.Time // zero: no last alert
		bad  bool
	}{
		{file: `{"last_sent": 1767225600}`, want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{file: `{"last_sent": 1767225600.25}`, want: time.Date(2026, 1, 1, 0, 0, 0, 250_000_000, time.UTC)},
		{file: `{"last_sent": 1767225600, "last_notified": "2026-02-01T00:00:00Z"}`, want: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{file: `{"last_run": "2026-02-01T00:00:00Z"}`},
		{file: `{"last_sent": null}`},
		{file: `{"last_sent": "yesterday"}`, bad: true},
		{file: `{"last_sent": -5}`, bad: true},
		{file: `{"last_sent": 1e300}`, bad: true},
	} {
		if err := os.WriteFile(h.statePath("check"), []byte(c.file), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := h.LoadState("check")
		switch {
		case c.bad:
			if err == nil || !strings.Contains(err.Error(), "corrupt") {
				t.Errorf("%s: %+v %v, want a corrupt-file error", c.file, st, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.file, err)
		case c.want.IsZero() && st.LastNotified != nil:
			t.Errorf("%s: last notified %v, want none", c.file, st.LastNotified)
		case !c.want.IsZero() && (st.LastNotified == nil || !st.LastNotified.Equal(c.want)):
			t.Errorf("%s: last notified %v, want %v", c.file, st.LastNotified, c.want)
		}
	}
}

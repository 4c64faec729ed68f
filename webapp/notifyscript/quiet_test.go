package notifyscript

import (
	"testing"
	"time"
)

func TestQuietHoursIn(t *testing.T) {
	prague, _ := time.LoadLocation("Europe/Prague")
	at := func(h, m int) time.Time { return time.Date(2026, 7, 1, h, m, 0, 0, prague) }
	night, err := ParseQuietHours("22:00-07:00", "Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	lunch, err := ParseQuietHours(" 12:00 - 13:30 ", "Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    QuietHours
		at   time.Time
		want bool
	}{
		{night, at(21, 59), false}, {night, at(22, 0), true}, {night, at(0, 0), true},
		{night, at(6, 59), true}, {night, at(7, 0), false}, {night, at(12, 0), false},
		{lunch, at(11, 59), false}, {lunch, at(12, 0), true}, {lunch, at(13, 29), true}, {lunch, at(13, 30), false},
		// The same instant in UTC is judged in the window's zone.
		{night, at(23, 0).UTC(), true},
	} {
		if got := InQuietHours(&c.q, c.at); got != c.want {
			t.Errorf("%v.In(%v) = %v, want %v", c.q, c.at, got, c.want)
		}
	}
	var off *QuietHours
	if InQuietHours(off, at(23, 0)) {
		t.Error("no quiet hours are never in")
	}
}

func TestParseSnoozeUntil(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if u, err := ParseSnoozeUntil("90m", now); err != nil || !u.Equal(now.Add(90*time.Minute)) {
		t.Fatalf("90m: %v %v", u, err)
	}
	if u, err := ParseSnoozeUntil("2026-03-02T11:00:00+01:00", now); err != nil || !u.Equal(now.Add(time.Hour)) {
		t.Fatalf("time: %v %v", u, err)
	}
	for _, bad := range []string{"", "0", "0m", "x", "1y", "2026-03-02T09:00:00Z", "2030-01-01T00:00:00Z"} {
		if _, err := ParseSnoozeUntil(bad, now); CodeOf(err) != CodeBadInput {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

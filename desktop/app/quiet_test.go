package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// An alert of the user's quiet hours ("silent": true) is listed and
// counted unread, but gets no native notification (no banner, no sound);
// the next ordinary one does.
func TestSilentAlertIsListedWithoutBanner(t *testing.T) {
	e := newEnv(t)
	a, r := e.startSignedIn(t, "petr")
	waitLive(t, a)
	e.dispatch(t, protocol.Notification{ID: "quiet1", Title: "At night", Silent: true})
	e.dispatch(t, protocol.Notification{ID: "loud1", Title: "Urgent", Urgent: true})
	if n := r.waitNote(t); n != "loud1|Urgent|" {
		t.Fatalf("first banner %q; the silent alert must have none", n)
	}
	list := a.API().Notifications()
	if len(list) != 2 || list[1].ID != "quiet1" || !list[1].Silent || a.State().Unread != 2 {
		t.Fatalf("list %+v unread %d", list, a.State().Unread)
	}
	r.mu.Lock()
	notes := len(r.notes)
	r.mu.Unlock()
	if notes != 1 {
		t.Fatalf("%d banners, want 1", notes)
	}
}

// The Scripts tab's snooze and the Settings view's quiet hours go through
// the real webapp and helper to the user's own settings file; the server's
// refusal reaches the app in its words.
func TestSnoozeAndQuietHoursFromTheApp(t *testing.T) {
	e := newEnv(t)
	a, _ := e.startSignedIn(t, "petr")
	api := a.API()
	res, err := api.Snooze("revenue_check.py", "1h")
	if err != nil || res.Script != "revenue_check" || res.SnoozedUntil == nil {
		t.Fatalf("snooze: %+v %v", res, err)
	}
	list, err := api.Scripts()
	if err != nil || len(list) != 1 || list[0].SnoozedUntil == nil {
		t.Fatalf("scripts: %+v %v", list, err)
	}
	_, err = api.Snooze("revenue_check.py", "forever")
	if apperr.CodeOf(err) != apperr.Server || !strings.Contains(err.Error(), `snooze "forever": give a duration`) {
		t.Fatalf("bad duration: %v", err)
	}
	if res, err := api.Unsnooze("revenue_check.py"); err != nil || res.SnoozedUntil != nil {
		t.Fatalf("unsnooze: %+v %v", res, err)
	}

	q, err := api.SetQuiet("22:00-07:00", "Europe/Prague")
	if err != nil || q.Quiet == nil || q.Quiet.Start != "22:00" || q.Quiet.Zone != "Europe/Prague" {
		t.Fatalf("set quiet: %+v %v", q, err)
	}
	if _, err := api.SetQuiet("09:00-09:00", ""); err == nil || !strings.Contains(err.Error(), "zero length") {
		t.Fatalf("zero-length window: %v", err)
	}
	if q, err := api.Quiet(); err != nil || q.Quiet == nil || q.Quiet.End != "07:00" {
		t.Fatalf("quiet: %+v %v", q, err)
	}
	home := notifyscript.Home(filepath.Join(e.web.HomeRoot, "petr"))
	if s, err := home.LoadSettings(); err != nil || s.Quiet == nil || len(s.Snoozed) != 0 {
		t.Fatalf("settings file: %+v %v", s, err)
	}
	if q, err := api.QuietOff(); err != nil || q.Quiet != nil {
		t.Fatalf("quiet off: %+v %v", q, err)
	}
	if s, _ := home.LoadSettings(); s.Quiet != nil {
		t.Fatal("quiet hours still set")
	}
}

// A repeat (repeat_until_ack) that comes in quiet hours is silent too: the
// alert comes back to the top, unread, but gets no banner; the next loud
// alert's banner is the next one shown.
func TestSilentRepeatComesBackWithoutBanner(t *testing.T) {
	e := newEnv(t)
	a, r := e.startSignedIn(t, "petr")
	e.dispatch(t, protocol.Notification{ID: "disk1", Title: "Disk full"})
	if n := r.waitNote(t); n != "disk1|Disk full|" {
		t.Fatalf("first banner %q", n)
	}
	e.dispatch(t, protocol.Notification{ID: "other1", Title: "Other"})
	if n := r.waitNote(t); n != "other1|Other|" {
		t.Fatalf("second banner %q", n)
	}
	if err := a.API().MarkAllRead(); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t, protocol.Notification{ID: "disk1", Title: "Disk full", Repeat: true, Silent: true})
	e.dispatch(t, protocol.Notification{ID: "loud2", Title: "Loud"})
	if n := r.waitNote(t); n != "loud2|Loud|" {
		t.Fatalf("banner %q; the silent repeat must have none", n)
	}
	list := a.API().Notifications()
	if len(list) != 3 || list[1].ID != "disk1" || !list[1].Repeat || !list[1].Silent || list[1].Read || a.State().Unread != 2 {
		t.Fatalf("list %+v unread %d", list, a.State().Unread)
	}
}

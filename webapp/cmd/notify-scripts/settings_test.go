package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// snooze, unsnooze and list's snoozed_until, as the webapp and the bot run
// them; the runner reads what they write.
func TestSnoozeUnsnoozeAndList(t *testing.T) {
	e := newEnv(t)
	e.script("a.py", "print('{\"notify\": false}')\n")
	e.script("b.py", "print('{\"notify\": false}')\n")
	before := time.Now()
	code, out := e.run(nil, "snooze", "a.py", "1h")
	var r notifyscript.SnoozeResult
	if err := json.Unmarshal(out, &r); err != nil || code != 0 || r.Script != "a" || r.SnoozedUntil == nil ||
		r.SnoozedUntil.Before(before.Add(time.Hour)) || r.SnoozedUntil.After(time.Now().Add(time.Hour)) {
		t.Fatalf("snooze: %d %s", code, out)
	}
	// By stem, as the alert and the Telegram button name it; to a time.
	until := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	if code, out := e.run(nil, "snooze", "b", until.Format(time.RFC3339)); code != 0 {
		t.Fatalf("snooze to a time: %d %s", code, out)
	}
	s, err := e.home.LoadSettings()
	if err != nil || !s.Snoozed["b"].Equal(until) || !s.Snoozed["a"].Equal(*r.SnoozedUntil) {
		t.Fatalf("settings: %+v %v", s, err)
	}
	var list []protocol.ScriptInfo
	_, out = e.run(nil, "list")
	if err := json.Unmarshal(out, &list); err != nil || len(list) != 2 || list[1].SnoozedUntil == nil || !list[1].SnoozedUntil.Equal(until) {
		t.Fatalf("list: %s", out)
	}
	if code, out := e.run(nil, "unsnooze", "b.py"); code != 0 || !bytes.Contains(out, []byte(`"snoozed_until":null`)) {
		t.Fatalf("unsnooze: %d %s", code, out)
	}
	_, out = e.run(nil, "list")
	if err := json.Unmarshal(out, &list); err != nil || list[1].SnoozedUntil != nil || list[0].SnoozedUntil == nil {
		t.Fatalf("list after unsnooze: %s", out)
	}
	// Unsnoozing what is not snoozed is no error.
	if code, out := e.run(nil, "unsnooze", "b"); code != 0 {
		t.Fatalf("unsnooze again: %d %s", code, out)
	}
}

// Every bad input is refused with a clear error, and the settings file is
// left as it was.
func TestBadSnoozeAndQuietInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.script("a.py", "print('{\"notify\": false}')\n")
	if code, out := e.run(nil, "snooze", "a", "2h"); code != 0 {
		t.Fatalf("%d %s", code, out)
	}
	if code, out := e.run(nil, "quiet", "22:00-07:00", "--tz", "Europe/Prague"); code != 0 ||
		string(bytes.TrimSpace(out)) != `{"quiet":{"start":"22:00","end":"07:00","tz":"Europe/Prague"}}` {
		t.Fatalf("quiet: %d %s", code, out)
	}
	saved, err := os.ReadFile(e.home.SettingsPath())
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		args     []string
		exit     int
		code     notifyscript.Code
		contains string
	}{
		{[]string{"snooze", "nope", "1h"}, exitNotFound, notifyscript.CodeNotFound, `no script "nope.py"`},
		{[]string{"unsnooze", "nope.py"}, exitNotFound, notifyscript.CodeNotFound, `no script "nope.py"`},
		{[]string{"snooze", "../a", "1h"}, exitRefused, notifyscript.CodeBadName, ""},
		{[]string{"snooze", "a", "soon"}, exitBadInput, notifyscript.CodeBadInput, `snooze "soon": give a duration`},
		{[]string{"snooze", "a", "0"}, exitBadInput, notifyscript.CodeBadInput, "give a duration"},
		{[]string{"snooze", "a", "-1h"}, exitBadInput, notifyscript.CodeBadInput, "give a duration"},
		{[]string{"snooze", "a", past}, exitBadInput, notifyscript.CodeBadInput, "that time has passed"},
		{[]string{"snooze", "a", "9999w"}, exitBadInput, notifyscript.CodeBadInput, "give a duration"},
		{[]string{"quiet", "22:00-22:00"}, exitBadInput, notifyscript.CodeBadInput, "zero length"},
		{[]string{"quiet", "22:00-07:00", "--tz", "Mars/Olympus"}, exitBadInput, notifyscript.CodeBadInput, `time zone "Mars/Olympus" does not exist`},
		{[]string{"quiet", "22:00-07:00", "--tz", "../../etc/passwd"}, exitBadInput, notifyscript.CodeBadInput, "does not exist"},
		{[]string{"quiet", "25:00-07:00"}, exitBadInput, notifyscript.CodeBadInput, `"25:00" is not a time of day`},
		{[]string{"quiet", "22:00"}, exitBadInput, notifyscript.CodeBadInput, "HH:MM-HH:MM"},
		{[]string{"quiet", "22:00-07:00", "Europe/Prague"}, exitUsage, notifyscript.CodeUsage, "quiet takes"},
		{[]string{"snooze", "a"}, exitUsage, notifyscript.CodeUsage, "snooze takes 2 argument(s)"},
	} {
		e.fails(nil, c.exit, c.code, c.contains, c.args...)
		if now, err := os.ReadFile(e.home.SettingsPath()); err != nil || !bytes.Equal(now, saved) {
			t.Fatalf("%v changed the settings:\n%s\nwas:\n%s", c.args, now, saved)
		}
	}
	if code, out := e.run(nil, "quiet"); code != 0 || !bytes.Contains(out, []byte(`"start":"22:00"`)) {
		t.Fatalf("quiet shows: %d %s", code, out)
	}
	if code, out := e.run(nil, "quiet", "off"); code != 0 || string(bytes.TrimSpace(out)) != `{"quiet":null}` {
		t.Fatalf("quiet off: %d %s", code, out)
	}
}

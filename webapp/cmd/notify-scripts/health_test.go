package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// list shows each script's health as the runner recorded it: the last
// outcome, last good run, failing streak (failing from
// NOTIFY_FAIL_ALERT_AFTER on), the promise and whether it is broken, and
// the last error and stderr.
func TestListShowsHealth(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"broken.py", "fine.py", "late.py", "new.py"} {
		e.script(n, "print('{\"notify\": false}')\n")
	}
	now := time.Now().UTC()
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	two := 2
	save := func(stem string, h notifyscript.Health) {
		if err := e.home.SaveState(stem, notifyscript.State{LastRun: h.LastRunAt, Health: h}); err != nil {
			t.Fatal(err)
		}
	}
	save("broken", notifyscript.Health{LastOutcome: protocol.OutcomeFailed, LastExitCode: &two, LastRunAt: at(time.Minute),
		LastDurationMS: 1200, LastGood: at(time.Hour), FailStreak: 2, FailingSince: at(20 * time.Minute),
		LastError: "broken.py exited with status 2: KeyError: 'x'", LastStderr: []string{"Traceback (most recent call last):", "KeyError: 'x'"}})
	save("fine", notifyscript.Health{LastOutcome: protocol.OutcomeAlerted, LastRunAt: at(time.Minute), LastGood: at(time.Minute)})
	save("late", notifyscript.Health{LastOutcome: protocol.OutcomeTimeout, LastRunAt: at(time.Minute), LastGood: at(2 * time.Hour),
		FailStreak: 1, FailingSince: at(time.Minute), ExpectEvery: "1h"})

	list := func(extra ...string) map[string]protocol.ScriptInfo {
		code, out := e.run(extra, "list")
		var infos []protocol.ScriptInfo
		if err := json.Unmarshal(out, &infos); err != nil || code != 0 {
			t.Fatalf("list: %d %s %v", code, out, err)
		}
		m := map[string]protocol.ScriptInfo{}
		for _, i := range infos {
			m[i.Stem] = i
		}
		return m
	}
	got := list()
	b := got["broken"].Health
	if b == nil || b.LastOutcome != "failed" || b.LastExitCode == nil || *b.LastExitCode != 2 || b.FailStreak != 2 || b.Failing ||
		b.LastGood != now.Add(-time.Hour).Format(time.RFC3339) || b.LastDuration != "1.2s" ||
		b.LastError != "broken.py exited with status 2: KeyError: 'x'" || len(b.LastStderr) != 2 || b.Overdue {
		t.Fatalf("broken: %+v", b)
	}
	if f := got["fine"].Health; f == nil || f.LastOutcome != "alerted" || f.FailStreak != 0 || f.Failing || f.Overdue {
		t.Fatalf("fine: %+v", f)
	}
	if l := got["late"].Health; l == nil || l.ExpectEvery != "1h" || !l.Overdue || l.Failing {
		t.Fatalf("late: %+v", l)
	}
	if got["new"].Health != nil {
		t.Fatalf("a script no pass has seen has no health: %+v", got["new"])
	}
	// The threshold is the runner's.
	if b := list("NOTIFY_FAIL_ALERT_AFTER=2")["broken"].Health; !b.Failing {
		t.Fatalf("broken with threshold 2: %+v", b)
	}
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient/bottest"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// flaky is a script that fails (a line of untrusted text on stderr, exit
// 2) while the file "broken" exists in HOME, and is quiet otherwise.
func (e *env) flaky(name string) (breakIt, fixIt func()) {
	e.script(name, `import os, sys
if os.path.exists(os.path.join(os.environ["HOME"], "broken")):
    sys.stderr.write("ERROR: table <b>revenue</b> & co\x07 missing\nsecond line\n")
    sys.exit(2)
print('{"notify": false}')
`)
	flag := filepath.Join(string(e.home), "broken")
	return func() {
			if err := os.WriteFile(flag, nil, 0o644); err != nil {
				e.t.Fatal(err)
			}
		}, func() {
			if err := os.Remove(flag); err != nil {
				e.t.Fatal(err)
			}
		}
}

func (e *env) health(stem string) notifyscript.Health {
	e.t.Helper()
	st, err := e.home.LoadState(stem)
	if err != nil {
		e.t.Fatal(err)
	}
	return st.Health
}

// The three-failure rule, through real runner processes, the stand-in bot
// and a real gateway client: two failures are quiet, the third raises one
// script_failing alert on both channels, a fourth raises nothing, the
// first good run one script_recovered, the next nothing.
func TestThreeFailuresRaiseOneAlertAndRecoveryOne(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	breakIt, fixIt := e.flaky("revenue_check.py")

	e.mustRun()
	if h := e.health("revenue_check"); h.LastOutcome != protocol.OutcomeQuiet || h.LastGood == nil || h.FailStreak != 0 {
		t.Fatalf("after a good pass: %+v", h)
	}
	breakIt()
	for i := 1; i <= 2; i++ {
		e.mustRun()
		if h := e.health("revenue_check"); h.FailStreak != i || h.LastOutcome != protocol.OutcomeFailed ||
			h.LastExitCode == nil || *h.LastExitCode != 2 || h.FailAlerted {
			t.Fatalf("failure %d: %+v", i, h)
		}
	}
	a.none()
	if n := len(e.bot.Requests()); n != 0 {
		t.Fatalf("bot got %d requests before the third failure", n)
	}

	e.mustRun()
	h := e.health("revenue_check")
	wantMsg := regexp.MustCompile(`^revenue_check has failed 3 times since \d\d:\d\d: ERROR: table <b>revenue</b> & co missing$`)
	f := a.nextFrame()
	if f.Kind != protocol.KindScriptFailing || f.Title != "revenue_check is failing" || !wantMsg.MatchString(f.Message) ||
		f.Script != "revenue_check" || !uuidRE.MatchString(f.ID) {
		t.Fatalf("app got %+v (kind %q)", f.NotificationFrame, f.Kind)
	}
	reqs := e.bot.Requests()
	if len(reqs) != 1 || reqs[0].Kind != protocol.KindScriptFailing || reqs[0].ParseMode != "HTML" ||
		!strings.Contains(reqs[0].Text, "ERROR: table &lt;b&gt;revenue&lt;/b&gt; &amp; co missing") || strings.Contains(reqs[0].Text, "\a") {
		t.Fatalf("bot got %+v", reqs)
	}
	if !h.FailAlerted || h.FailStreak != 3 || len(h.LastStderr) != 2 || h.LastStderr[1] != "second line" {
		t.Fatalf("after the third failure: %+v", h)
	}

	e.mustRun() // a fourth failure: nothing new
	a.none()
	if n := len(e.bot.Requests()); n != 1 {
		t.Fatalf("bot got %d requests after the fourth failure, want 1", n)
	}

	fixIt()
	e.mustRun()
	f = a.nextFrame()
	if f.Kind != protocol.KindScriptRecovered || f.Title != "revenue_check works again" ||
		!regexp.MustCompile(`^revenue_check works again \(failing since \d\d:\d\d\)\.$`).MatchString(f.Message) {
		t.Fatalf("recovery: %+v (kind %q)", f.NotificationFrame, f.Kind)
	}
	if reqs := e.bot.Requests(); len(reqs) != 2 || reqs[1].Kind != protocol.KindScriptRecovered {
		t.Fatalf("bot got %+v", reqs)
	}
	if h := e.health("revenue_check"); h.FailAlerted || h.FailStreak != 0 || h.LastOutcome != protocol.OutcomeQuiet {
		t.Fatalf("after recovery: %+v", h)
	}
	e.mustRun()
	a.none()
	if n := len(e.bot.Requests()); n != 2 {
		t.Fatalf("bot got %d requests after a second good pass, want 2", n)
	}
}

// A failing alert no sink takes is tried again at the next pass, and the
// streak's count is the one at that pass.
func TestFailingAlertRetriedWhenNoSinkTookIt(t *testing.T) {
	e := newEnv(t)
	e.script("crash.py", "import sys\nsys.exit(1)\n")
	e.bot.Stop()
	e.gatewayDown()
	for range 3 {
		e.mustRun("NOTIFY_FAIL_ALERT_AFTER=2")
	}
	if h := e.health("crash"); h.FailAlerted || h.FailStreak != 3 {
		t.Fatalf("with no sink: %+v", h)
	}
	bot := bottest.Start(t)
	e.mustRun("NOTIFY_FAIL_ALERT_AFTER=2", "NOTIFY_BOT_SOCKET="+bot.Socket)
	reqs := bot.Requests()
	if len(reqs) != 1 || reqs[0].Kind != protocol.KindScriptFailing || !strings.Contains(reqs[0].Text, "crash has failed 4 times since") {
		t.Fatalf("bot got %+v", reqs)
	}
	if h := e.health("crash"); !h.FailAlerted {
		t.Fatalf("after delivery: %+v", h)
	}
}

// Each outcome is recorded, with its duration, time and stderr.
func TestEachOutcomeRecorded(t *testing.T) {
	e := newEnv(t)
	e.alert("alerted.py", map[string]any{"notify": true, "title": "x"})
	e.alert("quiet.py", map[string]any{"notify": false})
	e.script("failed.py", "import sys\nsys.stderr.write('boom\\n')\nsys.exit(3)\n")
	e.script("bad.py", "print('not json')\n")
	e.script("slow.py", "import time, sys\nsys.stderr.write('waiting\\n'); sys.stderr.flush()\ntime.sleep(30)\n")
	e.mustRun("NOTIFY_SCRIPT_TIMEOUT_SECONDS=1")
	for stem, want := range map[string]string{"alerted": protocol.OutcomeAlerted, "quiet": protocol.OutcomeQuiet,
		"failed": protocol.OutcomeFailed, "bad": protocol.OutcomeBadOutput, "slow": protocol.OutcomeTimeout} {
		h := e.health(stem)
		if h.LastOutcome != want || h.LastRunAt == nil {
			t.Errorf("%s: %+v", stem, h)
		}
		if good := protocol.GoodOutcome(want); good != (h.LastGood != nil) || good != (h.FailStreak == 0) || good != (h.LastError == "") {
			t.Errorf("%s: good run recorded wrong: %+v", stem, h)
		}
	}
	if h := e.health("failed"); h.LastExitCode == nil || *h.LastExitCode != 3 || len(h.LastStderr) != 1 || h.LastStderr[0] != "boom" {
		t.Errorf("failed: %+v", h)
	}
	if h := e.health("slow"); h.LastDurationMS < 900 || h.LastExitCode != nil || len(h.LastStderr) != 1 || !strings.Contains(h.LastError, "did not finish") {
		t.Errorf("slow: %+v", h)
	}
}

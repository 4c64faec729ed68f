package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// watchedGateway replaces the env's gateway by one whose runner watcher
// checks every 100 ms and sends its Telegram alerts to the env's stand-in
// bot.
func (e *env) watchedGateway() {
	e.gw = gatewaytest.Start(e.t, gatewaytest.Options{BotSocket: e.bot.Socket, WatchTick: 100 * time.Millisecond})
	e.vars = append(e.vars, "WS_DISPATCH_SOCKET="+e.gw.Socket)
}

// loop starts notify-runner --every 1s in the background; the returned
// function stops it (SIGTERM) and waits for it.
func (e *env) loop() (stop func()) {
	e.t.Helper()
	cmd := exec.Command(binary, "--every", "1s")
	cmd.Env = append(slices.Clone(e.vars), "NOTIFY_RUNNER_EVERY=1s")
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop = func() {
		select {
		case <-done:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
	}
	e.t.Cleanup(stop)
	return stop
}

func (e *env) overdue() []protocol.OverdueRunner {
	e.t.Helper()
	c := e.gw.Client()
	defer c.Close()
	h, err := c.Health(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return h.OverdueRunners
}

// botKinds is the kinds of the bot's requests so far.
func (e *env) botKinds() []string {
	var k []string
	for _, r := range e.bot.Requests() {
		k = append(k, r.Kind)
	}
	return k
}

// The dead man's switch end to end: a runner looping every second reports
// each pass; stopped, the gateway's watcher tells the user once on both
// channels after three silent seconds and lists them in /health; the
// gateway restarted while the user is overdue does not tell them again;
// the runner started again brings one runner_back. (No scripts: a pass
// is a few milliseconds, so a loaded machine cannot make a live runner
// look silent.)
func TestRunnerWatcherSilentAndBack(t *testing.T) {
	e := newEnv(t)
	e.watchedGateway()
	a := e.connectApp()

	stop := e.loop()
	// Four passes (three seconds) of a beating runner: nobody overdue.
	waitFor(t, func() bool { return e.passes() >= 4 }, "four passes")
	if o := e.overdue(); len(o) != 0 {
		t.Fatalf("overdue while running: %+v", o)
	}
	a.none()
	stop()

	f := a.nextFrame()
	if f.Kind != protocol.KindRunnerSilent || f.Title != "Alert scripts stopped" ||
		!strings.HasPrefix(f.Message, "Your alert scripts have not run since ") || !strings.HasSuffix(f.Message, ": check cron on the server.") ||
		len(f.ID) != 36 {
		t.Fatalf("app got %+v kind %q", f.NotificationFrame, f.Kind)
	}
	waitFor(t, func() bool { return slices.Equal(e.botKinds(), []string{protocol.KindRunnerSilent}) }, "the bot's runner_silent")
	// Told is recorded once every sink has answered.
	waitFor(t, func() bool { o := e.overdue(); return len(o) == 1 && o[0].Told }, "health to list petr as told")
	if o := e.overdue(); o[0].User != user || o[0].Every != "1s" {
		t.Fatalf("health lists %+v", o)
	}

	// The gateway restarts while petr is overdue: no second alert.
	e.gw.Restart(t)
	a = e.connectApp()
	time.Sleep(time.Second) // ten watcher checks; nothing may come of them
	a.none()
	if k := e.botKinds(); len(k) != 1 {
		t.Fatalf("bot after the restart: %v", k)
	}
	if o := e.overdue(); len(o) != 1 || !o[0].Told {
		t.Fatalf("health after the restart lists %+v", o)
	}

	e.loop()
	f = a.nextFrame()
	if f.Kind != protocol.KindRunnerBack || !strings.HasPrefix(f.Message, "Your alert scripts run again (silent since ") {
		t.Fatalf("app got %+v kind %q", f.NotificationFrame, f.Kind)
	}
	waitFor(t, func() bool {
		return slices.Equal(e.botKinds(), []string{protocol.KindRunnerSilent, protocol.KindRunnerBack})
	}, "the bot's runner_back")
	waitFor(t, func() bool { return len(e.overdue()) == 0 }, "health to list nobody")
}

// passes counts the runner's finished passes in its log.
func (e *env) passes() int {
	b, _ := os.ReadFile(filepath.Join(e.home.LogsDir(), "runner.log"))
	return strings.Count(string(b), "run finished")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

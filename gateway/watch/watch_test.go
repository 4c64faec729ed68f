package watch_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/watch"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/botclient/bottest"
)

// rig is a watcher on a clock the test sets, delivering to the stand-in
// bot over its socket and to a real gateway over its dispatch socket.
type rig struct {
	t    *testing.T
	path string
	bot  *bottest.Server
	gw   *gatewaytest.Gateway
	mu   sync.Mutex
	now  time.Time
	reg  *prometheus.Registry
	w    *watch.Watcher
	sent []string // kinds the gateway took, in order
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, path: filepath.Join(t.TempDir(), "runners.json"), bot: bottest.Start(t),
		gw: gatewaytest.Start(t, gatewaytest.Options{}), now: time.Date(2026, 3, 3, 14, 5, 0, 0, time.Local)}
	r.open()
	return r
}

func (r *rig) clock() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }
func (r *rig) set(t time.Time)  { r.mu.Lock(); r.now = t; r.mu.Unlock() }

// open starts a watcher on the rig's state file, as a restarted gateway does.
func (r *rig) open() {
	r.t.Helper()
	bc, gc := botclient.New(r.bot.Socket), r.gw.Client()
	r.t.Cleanup(func() { bc.Close(); gc.Close() })
	publish := func(user string, n json.RawMessage) (protocol.DispatchResponse, error) {
		var k struct{ Kind string }
		_ = json.Unmarshal(n, &k)
		res, err := gc.Dispatch(context.Background(), user, n)
		if err == nil {
			r.sent = append(r.sent, k.Kind)
		}
		return res, err
	}
	r.reg = prometheus.NewRegistry()
	w, err := watch.Open(watch.Options{Path: r.path, Sinks: []watch.Sink{watch.BotSink{Bot: bc}, watch.PublishSink{Publish: publish}},
		Now: r.clock, Registerer: r.reg})
	if err != nil {
		r.t.Fatal(err)
	}
	r.w = w
}

// checkAt runs a check at t and returns the kinds the bot got from it; the
// gateway must have got the same.
func (r *rig) checkAt(t time.Time) []string {
	r.t.Helper()
	r.set(t)
	before, gwBefore := len(r.bot.Requests()), len(r.sent)
	r.w.Check(context.Background())
	var kinds []string
	for _, q := range r.bot.Requests()[before:] {
		kinds = append(kinds, q.Kind)
	}
	if !slices.Equal(kinds, r.sent[gwBefore:]) {
		r.t.Fatalf("bot got %v, gateway %v", kinds, r.sent[gwBefore:])
	}
	return kinds
}

func TestSilentRunnerToldOnceAndBackOnce(t *testing.T) {
	r := newRig(t)
	t0 := r.clock()
	r.w.Beat("petr", time.Minute, map[string]int{protocol.OutcomeQuiet: 2, protocol.OutcomeFailed: 1})
	if k := r.checkAt(t0.Add(3 * time.Minute)); k != nil {
		t.Fatalf("at 3 intervals: %v", k)
	}
	if k := r.checkAt(t0.Add(3*time.Minute + time.Second)); !slices.Equal(k, []string{protocol.KindRunnerSilent}) {
		t.Fatalf("past 3 intervals: %v", k)
	}
	msg := r.bot.Requests()[0].Text
	if !strings.Contains(msg, "Your alert scripts have not run since 14:05: check cron on the server.") {
		t.Fatalf("text %q", msg)
	}
	if k := r.checkAt(t0.Add(time.Hour)); k != nil {
		t.Fatalf("told twice: %v", k)
	}
	if o := r.w.Overdue(); len(o) != 1 || o[0].User != "petr" || !o[0].Told || o[0].Every != "1m0s" {
		t.Fatalf("overdue %+v", o)
	}
	r.set(t0.Add(2 * time.Hour))
	r.w.Beat("petr", time.Minute, nil)
	if k := r.checkAt(t0.Add(2*time.Hour + time.Second)); !slices.Equal(k, []string{protocol.KindRunnerBack}) {
		t.Fatalf("back: %v", k)
	}
	if !strings.Contains(r.bot.Requests()[1].Text, "Your alert scripts run again (silent since 14:05).") {
		t.Fatalf("text %q", r.bot.Requests()[1].Text)
	}
	if k := r.checkAt(t0.Add(2*time.Hour + 2*time.Minute)); k != nil || len(r.w.Overdue()) != 0 {
		t.Fatalf("after back: %v %+v", k, r.w.Overdue())
	}
}

// A watcher restarted while a user is overdue remembers it: no second
// runner_silent, and runner_back when the runner reports again.
func TestRestartWhileOverdueTellsOnce(t *testing.T) {
	r := newRig(t)
	t0 := r.clock()
	r.w.Beat("petr", time.Minute, nil)
	r.w.Beat("jana", time.Minute, nil)
	if k := r.checkAt(t0.Add(4 * time.Minute)); len(k) != 2 {
		t.Fatalf("both silent: %v", k)
	}
	r.set(t0.Add(time.Hour))
	r.open() // the gateway restarted
	for _, d := range []time.Duration{time.Hour, 2 * time.Hour} {
		if k := r.checkAt(t0.Add(d)); k != nil {
			t.Fatalf("after the restart at +%s: %v", d, k)
		}
	}
	if o := r.w.Overdue(); len(o) != 2 || !o[0].Told || !o[1].Told {
		t.Fatalf("overdue after restart %+v", o)
	}
	r.w.Beat("jana", time.Minute, nil)
	if k := r.checkAt(t0.Add(2*time.Hour + time.Second)); !slices.Equal(k, []string{protocol.KindRunnerBack}) {
		t.Fatalf("jana back: %v", k)
	}
}

// A watcher that was down could not hear heartbeats: silence counts from
// its start at the earliest, so a restart after a long stop does not
// alarm everyone at once.
func TestRestartGivesRunnersGrace(t *testing.T) {
	r := newRig(t)
	t0 := r.clock()
	r.w.Beat("petr", time.Minute, nil)
	r.w.Check(context.Background()) // saves
	r.set(t0.Add(time.Hour))
	r.open()
	if k := r.checkAt(t0.Add(time.Hour + 3*time.Minute)); k != nil {
		t.Fatalf("within grace: %v", k)
	}
	if k := r.checkAt(t0.Add(time.Hour + 3*time.Minute + time.Second)); !slices.Equal(k, []string{protocol.KindRunnerSilent}) {
		t.Fatalf("past grace: %v", k)
	}
}

// An alert no sink took is tried again at the next check.
func TestUndeliveredAlertRetried(t *testing.T) {
	r := newRig(t)
	t0 := r.clock()
	r.w.Beat("petr", time.Second, nil)
	r.bot.FailWith(500)
	r.gw.Stop()
	r.set(t0.Add(time.Minute))
	r.w.Check(context.Background())
	if o := r.w.Overdue(); len(o) != 1 || o[0].Told {
		t.Fatalf("overdue %+v", o)
	}
	r.bot.FailWith(0)
	r.set(t0.Add(2 * time.Minute))
	r.w.Check(context.Background())
	reqs := r.bot.Requests()
	if len(reqs) != 2 || reqs[1].Kind != protocol.KindRunnerSilent {
		t.Fatalf("retry: %+v", reqs)
	}
	if o := r.w.Overdue(); len(o) != 1 || !o[0].Told {
		t.Fatalf("overdue %+v", o)
	}
}

func TestCorruptStateRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "runners.json")
	if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Open(watch.Options{Path: p}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("%v", err)
	}
}

func TestMetricsCountOutcomesAndOverdue(t *testing.T) {
	r := newRig(t)
	t0 := r.clock()
	r.w.Beat("petr", time.Minute, map[string]int{protocol.OutcomeQuiet: 2, protocol.OutcomeTimeout: 1})
	r.w.Beat("petr", time.Minute, map[string]int{protocol.OutcomeQuiet: 1})
	r.checkAt(t0.Add(time.Hour))
	want := `
# HELP notify_runner_script_outcomes_total Script runs by outcome (alerted, quiet, failed, bad_output, timeout), as the runners reported them.
# TYPE notify_runner_script_outcomes_total counter
notify_runner_script_outcomes_total{outcome="alerted"} 0
notify_runner_script_outcomes_total{outcome="bad_output"} 0
notify_runner_script_outcomes_total{outcome="failed"} 0
notify_runner_script_outcomes_total{outcome="quiet"} 3
notify_runner_script_outcomes_total{outcome="timeout"} 1
# HELP notify_runners_overdue Users whose notify-runner stopped reporting (GET /health lists them).
# TYPE notify_runners_overdue gauge
notify_runners_overdue 1
# HELP notify_runner_heartbeats_total notify-runner passes reported to the gateway.
# TYPE notify_runner_heartbeats_total counter
notify_runner_heartbeats_total 2
`
	if err := testutil.GatherAndCompare(r.reg, strings.NewReader(want), "notify_runner_script_outcomes_total",
		"notify_runners_overdue", "notify_runner_heartbeats_total"); err != nil {
		t.Fatal(err)
	}
}

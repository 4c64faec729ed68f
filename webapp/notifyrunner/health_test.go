package notifyrunner

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/botclient/bottest"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// clockRunner is a real Runner (real scripts, the stand-in bot, a real
// gateway) whose passes happen at times the test sets.
type clockRunner struct {
	*Runner
	t   *testing.T
	now time.Time
	bot *bottest.Server
}

func newClockRunner(t *testing.T) *clockRunner {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	home := notifyscript.Home(t.TempDir())
	if err := os.MkdirAll(home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	bot := bottest.Start(t)
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	bc, gc := botclient.New(bot.Socket), gw.Client()
	t.Cleanup(func() { bc.Close(); gc.Close() })
	c := &clockRunner{t: t, bot: bot, now: time.Date(2026, 3, 3, 9, 0, 0, 0, time.Local)}
	c.Runner = &Runner{Home: home, User: "petr", Timeout: 20 * time.Second, ImagesDir: t.TempDir(),
		MaxImageBytes: 1 << 20, Sinks: []Sink{TelegramSink{Bot: bc}, GatewaySink{Client: gc}},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return c.now },
		FailAfter: 100, Every: 5 * time.Minute}
	return c
}

// passAt runs one pass at t and returns the kinds of the alerts the bot got
// during it; every one must have reached the gateway too.
func (c *clockRunner) passAt(t time.Time) []string {
	c.t.Helper()
	c.now = t
	before := len(c.bot.Requests())
	outs, err := c.RunAll(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	var kinds []string
	for _, r := range c.bot.Requests()[before:] {
		kinds = append(kinds, r.Kind)
	}
	for _, o := range outs {
		if o.Status == StatusUndelivered {
			c.t.Fatalf("undelivered: %+v", o)
		}
	}
	return kinds
}

// expect_every: overdue only past the promise plus one runner interval,
// told once, and one script_recovered at the next good run.
func TestExpectEveryOverdueAndRecovered(t *testing.T) {
	c := newClockRunner(t)
	flag := filepath.Join(string(c.Home), "broken")
	script := `import os, sys
if os.path.exists(os.path.join(os.environ["HOME"], "broken")):
    sys.exit(1)
print('{"notify": false, "expect_every": "1h"}')
`
	if err := os.WriteFile(c.Home.ScriptPath("hourly.py"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	t0 := c.now
	if k := c.passAt(t0); k != nil {
		t.Fatalf("good pass alerted %v", k)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{30 * time.Minute, time.Hour + 5*time.Minute} {
		if k := c.passAt(t0.Add(d)); k != nil {
			t.Fatalf("at +%s (within promise and grace): %v", d, k)
		}
	}
	if k := c.passAt(t0.Add(time.Hour + 6*time.Minute)); !slices.Equal(k, []string{protocol.KindScriptOverdue}) {
		t.Fatalf("past the grace: %v", k)
	}
	last := c.bot.Requests()[0]
	if !strings.Contains(last.Text, "hourly promised a good run every 1h and has had none since 09:00 (due 10:00).") {
		t.Fatalf("overdue text %q", last.Text)
	}
	for _, d := range []time.Duration{2 * time.Hour, 5 * time.Hour} {
		if k := c.passAt(t0.Add(d)); k != nil {
			t.Fatalf("told twice at +%s: %v", d, k)
		}
	}
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	if k := c.passAt(t0.Add(6 * time.Hour)); !slices.Equal(k, []string{protocol.KindScriptRecovered}) {
		t.Fatalf("recovery: %v", k)
	}
	if k := c.passAt(t0.Add(6*time.Hour + 5*time.Minute)); k != nil {
		t.Fatalf("after recovery: %v", k)
	}
	// The promise holds from the new good run.
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if k := c.passAt(t0.Add(7*time.Hour + 11*time.Minute)); !slices.Equal(k, []string{protocol.KindScriptOverdue}) {
		t.Fatalf("second breach: %v", k)
	}
}

// Failing and overdue together: each told once, recovered once.
func TestFailingAndOverdueRecoverWithOneAlert(t *testing.T) {
	c := newClockRunner(t)
	c.FailAfter = 2
	if err := os.WriteFile(c.Home.ScriptPath("s.py"), []byte(`import os, sys
if os.path.exists(os.path.join(os.environ["HOME"], "broken")):
    sys.stderr.write("down\n"); sys.exit(1)
print('{"notify": false, "expect_every": "10m"}')
`), 0o644); err != nil {
		t.Fatal(err)
	}
	t0 := c.now
	c.passAt(t0)
	flag := filepath.Join(string(c.Home), "broken")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 1; i <= 6; i++ {
		got = append(got, c.passAt(t0.Add(time.Duration(i)*5*time.Minute))...)
	}
	if !slices.Equal(got, []string{protocol.KindScriptFailing, protocol.KindScriptOverdue}) {
		t.Fatalf("while broken: %v", got)
	}
	_ = os.Remove(flag)
	if k := c.passAt(t0.Add(time.Hour)); !slices.Equal(k, []string{protocol.KindScriptRecovered}) {
		t.Fatalf("recovery: %v", k)
	}
}

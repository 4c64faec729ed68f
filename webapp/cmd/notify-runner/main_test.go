package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/botclient/bottest"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

var binary string

// TestMain builds the real command; the tests run it as cron would, as a
// process in a temporary HOME, against a stand-in Telegram bot socket and a
// real gateway.
func TestMain(m *testing.M) { testbin.Main(m, &binary) }

const user = "petr"

type env struct {
	t      *testing.T
	home   notifyscript.Home
	images string
	bot    *bottest.Server
	gw     *gatewaytest.Gateway
	vars   []string
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, home: notifyscript.Home(t.TempDir()), images: filepath.Join(t.TempDir(), "images")}
	e.bot = bottest.Start(t)
	e.gw = gatewaytest.Start(t, gatewaytest.Options{})
	e.vars = []string{"HOME=" + string(e.home), "PATH=" + os.Getenv("PATH"), "NOTIFY_USER=" + user,
		"NOTIFY_BOT_SOCKET=" + e.bot.Socket, "WS_DISPATCH_SOCKET=" + e.gw.Socket,
		"NOTIFICATION_IMAGES_DIR=" + e.images, "NOTIFY_SCRIPT_TIMEOUT_SECONDS=30"}
	if err := os.MkdirAll(e.home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

// gatewayDown points the runner at a dispatch socket path where no gateway
// runs (what a stopped gateway leaves: it removes its socket) and returns it.
// The test gateway is not stopped here: stopping it right after starting it
// trips a WaitGroup race inside the gateway (reported to the lead).
func (e *env) gatewayDown() string {
	dir, err := os.MkdirTemp("", "gwdown")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "ws.sock")
	e.vars = append(e.vars, "WS_DISPATCH_SOCKET="+p)
	return p
}

func (e *env) script(name, body string) {
	e.t.Helper()
	if err := os.WriteFile(e.home.ScriptPath(name), []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// alert is a script that prints fields as its JSON.
func (e *env) alert(name string, fields map[string]any) {
	e.t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		e.t.Fatal(err)
	}
	e.script(name, "import sys\nsys.stdout.write("+strconv.Quote(string(b))+")\n")
}

// runner runs notify-runner once and returns its exit code and output.
func (e *env) runner(extra ...string) (int, string) {
	e.t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = append(slices.Clone(e.vars), extra...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return code, string(out)
}

func (e *env) mustRun(extra ...string) string {
	e.t.Helper()
	code, out := e.runner(extra...)
	if code != 0 {
		e.t.Fatalf("notify-runner exited %d:\n%s", code, out)
	}
	return out
}

// app is a desktop app connected to the real gateway.
type app struct {
	*gatewaytest.App
	t *testing.T
}

// received is one notification frame: decoded, and its "data" as sent.
type received struct {
	protocol.NotificationFrame
	Data json.RawMessage `json:"data"`
	Kind string          `json:"kind"`
	size int
}

func (e *env) connectApp() *app {
	e.t.Helper()
	return &app{App: e.gw.ConnectApp(e.t, user), t: e.t}
}

// next waits for the next notification.
func (a *app) next() protocol.NotificationFrame {
	a.t.Helper()
	return a.nextFrame().NotificationFrame
}

// nextFrame waits for the next notification, with its data and size.
func (a *app) nextFrame() received {
	a.t.Helper()
	raw := a.Next(15 * time.Second).Raw
	f := received{size: len(raw)}
	if err := json.Unmarshal(raw, &f); err != nil {
		a.t.Fatalf("notification frame %s: %v", raw, err)
	}
	return f
}

// none checks that no notification arrives within a short while.
func (a *app) none() {
	a.t.Helper()
	a.None(500 * time.Millisecond)
}

func writePNG(t *testing.T) (string, []byte) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	img.Set(5, 5, color.RGBA{0, 0, 255, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "chart.png")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b.Bytes()
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// One run with good, quiet and broken scripts: the good ones reach both
// sinks, in name order; the broken ones are logged and stop nothing.
func TestRunDeliversToBothSinksAndSurvivesBrokenScripts(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	chart, chartBytes := writePNG(t)
	e.alert("a_revenue.py", map[string]any{"notify": true, "title": "Revenue <b>drop</b> & co", "message": "Down 20%\n<script>x</script>",
		"image_path": chart, "cooldown": "30m", "data": map[string]any{"drop": 0.2}})
	e.script("b_broken_json.py", "print('{not json')\n")
	e.script("c_crash.py", "import sys\nsys.stderr.write('Traceback (most recent call last):\\nZeroDivisionError: division by zero\\n')\nsys.exit(1)\n")
	e.alert("d_quiet.py", map[string]any{"notify": false, "title": "nothing"})
	e.alert("e_signups.py", map[string]any{"notify": true, "title": "Signups up", "message": "+12%"})
	e.script("notes.txt", "not a script")

	out := e.mustRun()
	for _, want := range []string{
		`script=b_broken_json.py`, `code=bad_output`,
		`script=c_crash.py`, `code=exit_status`, `ZeroDivisionError`,
		`script=d_quiet.py`, `nothing to report`,
		`notified=2 quiet=1 cooldown=0 snoozed=0 undelivered=0 failed=2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("runner output lacks %q:\n%s", want, out)
		}
	}

	// Telegram: a photo for the first alert, text for the second.
	reqs := e.bot.Requests()
	if len(reqs) != 2 {
		t.Fatalf("bot got %d requests: %+v", len(reqs), reqs)
	}
	if reqs[0].Path != "/send_photo" || reqs[0].User != user || reqs[0].ParseMode != "HTML" ||
		reqs[0].Caption != "<b>Revenue &lt;b&gt;drop&lt;/b&gt; &amp; co</b>\nDown 20%\n&lt;script&gt;x&lt;/script&gt;" ||
		!bytes.Equal(reqs[0].Photo, chartBytes) || !strings.HasPrefix(reqs[0].PhotoPath, e.images+"/") {
		t.Fatalf("photo request %+v (photo error %q)", reqs[0], reqs[0].PhotoErr)
	}
	if reqs[1].Path != "/send" || reqs[1].ParseMode != "HTML" || reqs[1].Text != "<b>Signups up</b>\n+12%\n<i>e_signups</i>" {
		t.Fatalf("text request %+v", reqs[1])
	}

	// The desktop app, through the real gateway, in the same order.
	n1, n2 := a.next(), a.next()
	if n1.Title != "Revenue <b>drop</b> & co" || n1.Message != "Down 20%\n<script>x</script>" || n1.Script != "a_revenue" ||
		!uuidRE.MatchString(n1.ID) || n1.ImageURL != protocol.PathImagesPrefix+filepath.Base(reqs[0].PhotoPath) {
		t.Fatalf("first notification %+v", n1)
	}
	if ts, err := time.Parse(time.RFC3339, n1.Timestamp); err != nil || time.Since(ts) > time.Minute || !strings.HasSuffix(n1.Timestamp, "Z") {
		t.Fatalf("timestamp %q: %v", n1.Timestamp, err)
	}
	if n2.Title != "Signups up" || n2.Script != "e_signups" || n2.ImageURL != "" || n2.ID == n1.ID {
		t.Fatalf("second notification %+v", n2)
	}
	// The bot gets each alert's id, for its Acknowledge button.
	if reqs[0].ID != n1.ID || reqs[1].ID != n2.ID {
		t.Fatalf("alert ids to the bot %q %q, want %q %q", reqs[0].ID, reqs[1].ID, n1.ID, n2.ID)
	}
	a.none()

	// State: cooldown recorded for the delivered alerts, last_error for the broken.
	st, _ := e.home.LoadState("a_revenue")
	if st.LastNotified == nil || st.Cooldown != "30m" || st.LastRun == nil {
		t.Fatalf("state of a_revenue %+v", st)
	}
	if st, _ := e.home.LoadState("c_crash"); st.LastNotified != nil || !strings.Contains(st.LastError, "exited with status 1") {
		t.Fatalf("state of c_crash %+v", st)
	}
	if st, _ := e.home.LoadState("d_quiet"); st.LastRun == nil || st.LastNotified != nil {
		t.Fatalf("state of d_quiet %+v", st)
	}
	logged, err := os.ReadFile(filepath.Join(e.home.LogsDir(), "runner.log"))
	if err != nil || !strings.Contains(string(logged), "notified=2") {
		t.Fatalf("log file: %v\n%s", err, logged)
	}
}

func TestCooldownAcrossRuns(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	e.alert("check.py", map[string]any{"notify": true, "title": "Queue backlog", "cooldown": "1h"})

	e.mustRun()
	first := a.next()
	out := e.mustRun()
	if !strings.Contains(out, "alert held back by cooldown") || len(e.bot.Requests()) != 1 {
		t.Fatalf("second run inside the cooldown delivered:\n%s", out)
	}
	a.none()

	// Put the last alert 61 minutes in the past: the cooldown has expired.
	st, err := e.home.LoadState("check")
	if err != nil {
		t.Fatal(err)
	}
	past := st.LastNotified.Add(-61 * time.Minute)
	st.LastNotified = &past
	if err := e.home.SaveState("check", st); err != nil {
		t.Fatal(err)
	}
	e.mustRun()
	if second := a.next(); second.Title != "Queue backlog" || second.ID == first.ID {
		t.Fatalf("after the cooldown: %+v", second)
	}
	if len(e.bot.Requests()) != 2 {
		t.Fatalf("bot got %d requests, want 2", len(e.bot.Requests()))
	}

	// A script that shortens its cooldown is judged by the new one.
	st, _ = e.home.LoadState("check")
	past = st.LastNotified.Add(-6 * time.Minute)
	st.LastNotified = &past
	_ = e.home.SaveState("check", st)
	e.alert("check.py", map[string]any{"notify": true, "title": "Queue backlog", "cooldown": "5m"})
	e.mustRun()
	a.next()
}

// A user migrating from the runner this one replaces keeps its state files,
// {"last_sent": <unix seconds>}: the cooldown counts from that alert, so
// the first run here does not alert again; once it is over, the alert goes
// and the file is rewritten in the new form.
func TestCooldownHoldsForTheReplacedRunnersState(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	e.alert("check.py", map[string]any{"notify": true, "title": "Queue backlog", "cooldown": "1h"})
	if err := os.MkdirAll(e.home.StateDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	sent := float64(time.Now().Add(-10*time.Minute).UnixNano()) / 1e9 // Python's time.time()
	old := fmt.Sprintf(`{"last_sent": %.6f}`, sent)
	if err := os.WriteFile(filepath.Join(e.home.StateDir(), "check.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun()
	if !strings.Contains(out, "alert held back by cooldown") || len(e.bot.Requests()) != 0 {
		t.Fatalf("the migrated cooldown did not hold:\n%s", out)
	}
	a.none()

	sent = float64(time.Now().Add(-61 * time.Minute).Unix())
	old = fmt.Sprintf(`{"last_sent": %d}`, int64(sent))
	if err := os.WriteFile(filepath.Join(e.home.StateDir(), "check.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun()
	if n := a.next(); n.Title != "Queue backlog" {
		t.Fatalf("after the migrated cooldown: %+v", n)
	}
	st, err := e.home.LoadState("check")
	if err != nil || st.LastNotified == nil || time.Since(*st.LastNotified) > time.Minute {
		t.Fatalf("state after the alert: %+v %v", st, err)
	}
}

func TestImages(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	notImage := filepath.Join(t.TempDir(), "chart.png")
	if err := os.WriteFile(notImage, []byte("#!/bin/sh\necho this is no image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An image published 40 days ago is pruned by the run.
	stale := filepath.Join(e.images, "0123456789abcdef0123456789abcdef.png")
	if err := os.MkdirAll(e.images, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old chart"), 0o644); err != nil {
		t.Fatal(err)
	}
	longAgo := time.Now().Add(-40 * 24 * time.Hour)
	if err := os.Chtimes(stale, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	e.alert("a_missing.py", map[string]any{"notify": true, "title": "missing image", "image_path": "/nonexistent/chart.png"})
	e.alert("b_not_image.py", map[string]any{"notify": true, "title": "not an image", "image_path": notImage})
	out := e.mustRun()
	if strings.Count(out, "image left out; the alert goes without it") != 2 || !strings.Contains(out, "not a PNG or JPEG") ||
		!strings.Contains(out, "count=1 older_than_days=30") {
		t.Fatalf("runner output:\n%s", out)
	}
	for _, want := range []string{"missing image", "not an image"} {
		if n := a.next(); n.Title != want || n.ImageURL != "" {
			t.Fatalf("notification %+v, want %q without image", n, want)
		}
	}
	for _, r := range e.bot.Requests() {
		if r.Path != "/send" {
			t.Fatalf("bot request %+v, want text only", r)
		}
	}
	if entries, _ := os.ReadDir(e.images); len(entries) != 0 {
		t.Fatalf("images folder holds %d files", len(entries))
	}
}

func TestOneSinkDownTheOtherStillDelivers(t *testing.T) {
	t.Run("gateway down", func(t *testing.T) {
		e := newEnv(t)
		e.gatewayDown()
		e.alert("x.py", map[string]any{"notify": true, "title": "to Telegram only"})
		out := e.mustRun()
		if reqs := e.bot.Requests(); len(reqs) != 1 || !strings.Contains(reqs[0].Text, "to Telegram only") {
			t.Fatalf("bot requests %+v", reqs)
		}
		if !strings.Contains(out, "sink skipped") || !strings.Contains(out, "sink=gateway") || !strings.Contains(out, "sinks=[telegram]") {
			t.Fatalf("runner output:\n%s", out)
		}
		if st, _ := e.home.LoadState("x"); st.LastNotified == nil {
			t.Fatal("cooldown not recorded although Telegram took the alert")
		}
	})
	t.Run("bot down", func(t *testing.T) {
		e := newEnv(t)
		a := e.connectApp()
		e.bot.Stop()
		e.alert("x.py", map[string]any{"notify": true, "title": "to the app only"})
		out := e.mustRun()
		if n := a.next(); n.Title != "to the app only" {
			t.Fatalf("notification %+v", n)
		}
		if !strings.Contains(out, "sink=telegram") || !strings.Contains(out, "sinks=[gateway]") {
			t.Fatalf("runner output:\n%s", out)
		}
	})
	t.Run("stale sockets, then both back", func(t *testing.T) {
		e := newEnv(t)
		gwSocket := e.gatewayDown()
		e.bot.Stop()
		// Socket files with nobody listening, as a crashed service leaves them.
		for _, p := range []string{gwSocket, e.bot.Socket} {
			ln, err := net.Listen("unix", p)
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false)
			ln.Close()
		}
		e.alert("x.py", map[string]any{"notify": true, "title": "kept for later", "cooldown": "1h"})
		out := e.mustRun()
		if !strings.Contains(out, "alert not delivered to any sink") || !strings.Contains(out, "undelivered=1") {
			t.Fatalf("runner output:\n%s", out)
		}
		if st, _ := e.home.LoadState("x"); st.LastNotified != nil {
			t.Fatal("cooldown recorded although no sink took the alert")
		}
		// The bot comes back: the next run delivers despite the 1h cooldown.
		_ = os.Remove(e.bot.Socket)
		bot := bottest.Start(t)
		e.vars = append(e.vars, "NOTIFY_BOT_SOCKET="+bot.Socket)
		e.mustRun()
		if reqs := bot.Requests(); len(reqs) != 1 || !strings.Contains(reqs[0].Text, "kept for later") {
			t.Fatalf("bot requests %+v", reqs)
		}
	})
	t.Run("bot refuses", func(t *testing.T) {
		e := newEnv(t)
		a := e.connectApp()
		e.bot.FailWith(500)
		e.alert("x.py", map[string]any{"notify": true, "title": "bot error"})
		out := e.mustRun()
		if !strings.Contains(out, "sink failed") || !strings.Contains(out, "bot answered 500") {
			t.Fatalf("runner output:\n%s", out)
		}
		a.next()
	})
}

func TestTimeoutKillsScriptAndTheRestRun(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	e.script("a_hang.py", `import subprocess, time
p = subprocess.Popen(["sleep", "300"])
open(`+strconv.Quote(pidFile)+`, "w").write(str(p.pid))
time.sleep(300)
`)
	e.alert("b_after.py", map[string]any{"notify": true, "title": "still ran"})
	start := time.Now()
	out := e.mustRun("NOTIFY_SCRIPT_TIMEOUT_SECONDS=5")
	if time.Since(start) > 40*time.Second || !strings.Contains(out, "code=timeout") {
		t.Fatalf("took %v:\n%s", time.Since(start), out)
	}
	if n := a.next(); n.Title != "still ran" {
		t.Fatalf("%+v", n)
	}
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(string(b))
	stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if pid == 0 || (len(stat) > 0 && !strings.Contains(string(stat), ") Z ")) {
		t.Fatalf("the hanging script's child %d survived: %s", pid, stat)
	}
}

func TestOverlappingRunIsSkipped(t *testing.T) {
	e := newEnv(t)
	started := filepath.Join(t.TempDir(), "started")
	e.script("slow.py", "import time\nopen("+strconv.Quote(started)+", 'w').close()\ntime.sleep(20)\nprint('{\"notify\": false}')\n")
	first := exec.Command(binary)
	first.Env = append(slices.Clone(e.vars), "NOTIFY_SCRIPT_TIMEOUT_SECONDS=60")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// SIGTERM, as cron or systemd would stop it: the runner kills its
	// script's process group on the way out.
	t.Cleanup(func() { _ = first.Process.Signal(syscall.SIGTERM); _ = first.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("first runner never started its script")
		}
	}
	code, out := e.runner()
	if code != 0 || !strings.Contains(out, "still running; this run is skipped") {
		t.Fatalf("second runner: %d\n%s", code, out)
	}
}

func TestUsageAndConfigErrors(t *testing.T) {
	e := newEnv(t)
	if code, out := e.runner(); code != 0 || !strings.Contains(out, "no scripts to run") {
		t.Fatalf("empty folder: %d %s", code, out)
	}
	for _, tc := range []struct {
		args []string
		env  []string
		code int
		want string
	}{
		{[]string{"--help"}, nil, 0, "Usage: notify-runner"},
		{[]string{"--bogus"}, nil, 2, "flag provided but not defined"},
		{[]string{"extra"}, nil, 2, "takes no arguments"},
		{[]string{"--every", "10ms"}, nil, 2, "at least 1s"},
		{nil, []string{"NOTIFY_SCRIPT_TIMEOUT_SECONDS=-1"}, 1, "NOTIFY_SCRIPT_TIMEOUT_SECONDS"},
		{nil, []string{"NOTIFICATION_IMAGES_DIR=relative/images"}, 1, "NOTIFICATION_IMAGES_DIR"},
		{nil, []string{"HOME=relative"}, 1, "HOME"},
	} {
		cmd := exec.Command(binary, tc.args...)
		cmd.Env = append(slices.Clone(e.vars), tc.env...)
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("%v %v: exit %d, want %d with %q:\n%s", tc.args, tc.env, cmd.ProcessState.ExitCode(), tc.code, tc.want, out)
		}
	}
}

// Stopping the runner (SIGTERM from cron's or systemd's side) stops the
// script it is running together with the script's children.
func TestSIGTERMStopsTheRunningScript(t *testing.T) {
	e := newEnv(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	e.script("hang.py", `import subprocess, time
p = subprocess.Popen(["sleep", "300"])
open(`+strconv.Quote(pidFile+".tmp")+`, "w").write(str(p.pid))
__import__("os").rename(`+strconv.Quote(pidFile+".tmp")+`, `+strconv.Quote(pidFile)+`)
time.sleep(300)
`)
	cmd := exec.Command(binary)
	cmd.Env = e.vars
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(20 * time.Second); pid == 0; time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(string(b))
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("script never started")
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("runner after SIGTERM: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "hang.py was stopped: the run was cancelled") {
		t.Fatalf("runner output:\n%s", out.String())
	}
	stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if len(stat) > 0 && !strings.Contains(string(stat), ") Z ") {
		t.Fatalf("the script's child %d survived the runner: %s", pid, stat)
	}
}

// A script printing 200 KB of data (and text past its bounds) still alerts:
// the runner cuts the text and replaces the data by a marker, logs what it
// cut, the frame fits what the app accepts, and the next alert arrives too.
func TestOversizedOutputIsCutAndTheNextAlertArrives(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	e.alert("a_big.py", map[string]any{"notify": true, "title": strings.Repeat("<", 300),
		"message": strings.Repeat("&", 5000), "data": map[string]any{"rows": strings.Repeat("x", 200<<10)}})
	e.alert("b_next.py", map[string]any{"notify": true, "title": "next", "data": map[string]any{"n": 1}})
	out := e.mustRun()
	for _, want := range []string{"title cut to 200 characters", "message cut to 3500 characters",
		`\"data\" is 204`, "notified=2"} {
		if !strings.Contains(out, want) {
			t.Errorf("runner output lacks %q:\n%s", want, out)
		}
	}
	big := a.nextFrame()
	if big.size > protocol.MaxFrameBytes || len([]rune(big.Title)) != 200 || len([]rune(big.Message)) != 3500 {
		t.Fatalf("big alert: %d bytes, title %d runes, message %d runes", big.size, len([]rune(big.Title)), len([]rune(big.Message)))
	}
	var marker notifyscript.DataDropped
	if err := json.Unmarshal(big.Data, &marker); err != nil || marker.Bytes <= 200<<10 || marker.MaxBytes != notifyscript.MaxDataBytes {
		t.Fatalf("data of the big alert: %s", big.Data)
	}
	if next := a.nextFrame(); next.Title != "next" || string(next.Data) != `{"n":1}` {
		t.Fatalf("next alert: %+v %s", next.NotificationFrame, next.Data)
	}
	// Telegram got both as well, within its limit.
	if reqs := e.bot.Requests(); len(reqs) != 2 || !strings.Contains(reqs[1].Text, "next") {
		t.Fatalf("bot requests %d", len(reqs))
	}
}

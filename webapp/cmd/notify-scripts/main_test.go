package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

var binary string

// TestMain builds the real command once; every test runs it as a process,
// the way the webapp does, in a temporary HOME.
func TestMain(m *testing.M) { testbin.Main(m, &binary) }

// myGroup is a group this process is in; otherGroup one it is not in.
func groups(t *testing.T) (mine, other string) {
	t.Helper()
	g, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
	if err != nil {
		t.Fatal(err)
	}
	have, _ := os.Getgroups()
	have = append(have, os.Getegid(), os.Getgid())
	data, err := os.ReadFile("/etc/group")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 {
			continue
		}
		if gid, err := strconv.Atoi(f[2]); err == nil && !slices.Contains(have, gid) {
			return g.Name, f[0]
		}
	}
	t.Skip("no group this user is outside of")
	return "", ""
}

type env struct {
	t      *testing.T
	home   notifyscript.Home
	images string
	vars   []string
}

func newEnv(t *testing.T) *env {
	mine, _ := groups(t)
	home := notifyscript.Home(t.TempDir())
	e := &env{t: t, home: home, images: filepath.Join(t.TempDir(), "images")}
	e.vars = []string{"HOME=" + string(home), "PATH=" + os.Getenv("PATH"), "NOTIFY_ANALYST_GROUP=" + mine,
		"NOTIFICATION_IMAGES_DIR=" + e.images, "NOTIFY_SCRIPT_TIMEOUT_SECONDS=20"}
	if err := os.MkdirAll(home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) script(name, body string) {
	if err := os.WriteFile(e.home.ScriptPath(name), []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// run starts the command and returns its exit code and stdout; stdout must
// always be one JSON value.
func (e *env) run(extra []string, args ...string) (int, []byte) {
	e.t.Helper()
	// A run that blocks (a regression) is killed and fails the test.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(slices.Clone(e.vars), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	if !json.Valid(stdout.Bytes()) && args[0] != "--help" {
		e.t.Fatalf("notify-scripts %v printed non-JSON %q (stderr %q)", args, stdout.String(), stderr.String())
	}
	return code, stdout.Bytes()
}

func (e *env) fails(extra []string, wantExit int, wantCode notifyscript.Code, wantText string, args ...string) notifyscript.ErrorResult {
	e.t.Helper()
	code, out := e.run(extra, args...)
	var r notifyscript.ErrorResult
	if err := json.Unmarshal(out, &r); err != nil {
		e.t.Fatal(err)
	}
	if code != wantExit || r.Code != wantCode || !strings.Contains(r.Error, wantText) {
		e.t.Fatalf("notify-scripts %v: exit %d %+v; want exit %d code %s containing %q", args, code, r, wantExit, wantCode, wantText)
	}
	return r
}

func TestListAndRun(t *testing.T) {
	e := newEnv(t)
	code, out := e.run(nil, "list")
	if code != 0 || strings.TrimSpace(string(out)) != "[]" {
		t.Fatalf("empty list: %d %s", code, out)
	}

	chart := filepath.Join(t.TempDir(), "chart.png")
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)))
	if err := os.WriteFile(chart, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	e.script("revenue_check.py", `import json
print(json.dumps({"notify": True, "title": "Revenue <b>drop</b>", "message": "-20%", "image_path": `+strconv.Quote(chart)+`, "cooldown": "30m", "data": {"drop": 0.2}}))
`)
	e.script("quiet.py", `print('{"notify": false}')`)
	e.script("bad name.py", ``)

	code, out = e.run(nil, "run", "revenue_check.py")
	var r notifyscript.RunResult
	if err := json.Unmarshal(out, &r); err != nil || code != 0 {
		t.Fatalf("run: %d %s %v", code, out, err)
	}
	if !r.Notify || r.Title != "Revenue <b>drop</b>" || r.Script != "revenue_check" || r.Cooldown != "30m" || string(r.Data) != `{"drop":0.2}` && string(r.Data) != `{"drop": 0.2}` {
		t.Fatalf("result %+v data %s", r, r.Data)
	}
	if !strings.HasPrefix(r.ImageURL, protocol.PathImagesPrefix) || r.ImageError != "" {
		t.Fatalf("image: %+v", r)
	}
	copied, err := os.ReadFile(filepath.Join(e.images, strings.TrimPrefix(r.ImageURL, protocol.PathImagesPrefix)))
	if err != nil || !bytes.Equal(copied, b.Bytes()) {
		t.Fatalf("published image: %v", err)
	}

	code, out = e.run(nil, "list")
	var infos []protocol.ScriptInfo
	if err := json.Unmarshal(out, &infos); err != nil || code != 0 {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Name != "quiet.py" || infos[0].LastRun != nil ||
		infos[1].Name != "revenue_check.py" || infos[1].Stem != "revenue_check" || infos[1].LastRun == nil || *infos[1].LastRun != "just now" {
		t.Fatalf("list: %s", out)
	}
	if !strings.Contains(string(out), `"last_run":null`) {
		t.Fatalf("a never-run script must show last_run null: %s", out)
	}

	// last_run ages as the state says.
	old := time.Now().Add(-5*time.Minute - time.Second)
	if err := e.home.SaveState("quiet", notifyscript.State{LastRun: &old}); err != nil {
		t.Fatal(err)
	}
	_, out = e.run(nil, "list")
	if !strings.Contains(string(out), `{"name":"quiet.py","stem":"quiet","last_run":"5m ago"}`) {
		t.Fatalf("list after a run 5 minutes ago: %s", out)
	}
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	e.script("a.py", "print('{\"notify\": false}')\n")
	e.script("b.py", "raise SystemExit(2)\n")
	e.script("c.py", "")
	notified := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	if err := e.home.SaveState("c", notifyscript.State{LastRun: &notified, LastNotified: &notified, Cooldown: "30m"}); err != nil {
		t.Fatal(err)
	}
	e.run(nil, "run", "a.py")
	e.run(nil, "run", "b.py")
	code, out := e.run(nil, "status")
	var st []notifyscript.ScriptStatus
	if err := json.Unmarshal(out, &st); err != nil || code != 0 || len(st) != 3 {
		t.Fatalf("status: %d %s %v", code, out, err)
	}
	if st[0].LastRun == nil || st[0].LastNotified != nil || st[0].CooldownUntil != nil || st[0].LastError != "" {
		t.Fatalf("a.py: %s", out)
	}
	if !strings.Contains(st[1].LastError, "exited with status 2") {
		t.Fatalf("b.py: %s", out)
	}
	if st[2].CooldownUntil == nil || !st[2].CooldownUntil.Equal(notified.Add(30*time.Minute)) || st[2].Cooldown != "30m" {
		t.Fatalf("c.py: %s", out)
	}
}

func TestRunImageNotTaken(t *testing.T) {
	e := newEnv(t)
	notImage := filepath.Join(t.TempDir(), "chart.png")
	if err := os.WriteFile(notImage, []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.script("a.py", `print('{"notify": true, "title": "t", "image_path": `+strconv.Quote(strconv.Quote(notImage)[1:len(strconv.Quote(notImage))-1])+`}')`)
	e.script("b.py", `print('{"notify": true, "title": "t", "image_path": "/nonexistent/chart.png"}')`)
	for name, want := range map[string]string{"a.py": "not a PNG or JPEG", "b.py": "no such file"} {
		code, out := e.run(nil, "run", name)
		var r notifyscript.RunResult
		_ = json.Unmarshal(out, &r)
		if code != 0 || !r.Notify || r.ImageURL != "" || !strings.Contains(r.ImageError, want) {
			t.Fatalf("%s: %d %s", name, code, out)
		}
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	_, other := groups(t)
	e.script("crash.py", "import sys\nsys.stderr.write('Traceback...\\nKeyError: revenue\\n')\nsys.exit(3)\n")
	e.script("slow.py", "import time\ntime.sleep(30)\n")
	e.script("garbage.py", "print('not json')\n")
	e.script("ok.py", "print('{\"notify\": false}')\n")

	r := e.fails(nil, 1, notifyscript.CodeExitStatus, "exited with status 3: KeyError: revenue", "run", "crash.py")
	if !strings.Contains(r.Stderr, "Traceback...") {
		t.Fatalf("stderr not passed on: %+v", r)
	}
	start := time.Now()
	e.fails([]string{"NOTIFY_SCRIPT_TIMEOUT_SECONDS=1.5"}, 1, notifyscript.CodeTimeout, "did not finish within 1.5s", "run", "slow.py")
	if time.Since(start) > 15*time.Second {
		t.Fatal("timeout not applied")
	}
	e.fails(nil, 1, notifyscript.CodeBadOutput, "not a JSON object", "run", "garbage.py")
	e.fails(nil, 4, notifyscript.CodeNotFound, "no script", "run", "nope.py")
	e.fails(nil, 3, notifyscript.CodeBadName, "not a path", "run", "../ok.py")
	e.fails(nil, 3, notifyscript.CodeBadName, "must end in .py", "run", "ok.sh")
	e.fails([]string{"NOTIFY_ANALYST_GROUP=" + other}, 3, notifyscript.CodeNotAllowed, "is not in the analysts' group", "run", "ok.py")
	e.fails([]string{"NOTIFY_ANALYST_GROUP=no-such-group-xyz"}, 3, notifyscript.CodeNotAllowed, "does not exist", "run", "ok.py")
	e.fails(nil, 2, notifyscript.CodeUsage, "unknown command", "frobnicate")
	e.fails(nil, 2, notifyscript.CodeUsage, "takes 1 argument", "run")
	e.fails([]string{"NOTIFY_SCRIPT_TIMEOUT_SECONDS=soon"}, 5, notifyscript.CodeInternal, "NOTIFY_SCRIPT_TIMEOUT_SECONDS", "list")

	// The refused run never ran the script: no state was written.
	if st, _ := e.home.LoadState("ok"); st.LastRun != nil {
		t.Fatal("a refused run left state behind")
	}
	code, out := e.run(nil, "--help")
	if code != 0 || !strings.Contains(string(out), "Usage: notify-scripts") {
		t.Fatalf("help: %d", code)
	}
}

package notifyscript

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeScript(t *testing.T, h Home, name, body string) { writeScriptB(t, h, name, body) }

func writeScriptB(t testing.TB, h Home, name, body string) {
	t.Helper()
	if err := os.MkdirAll(h.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.ScriptPath(name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunGoodScriptWithCleanEnvironment(t *testing.T) {
	h := Home(t.TempDir())
	t.Setenv("DESKTOP_JWT_SECRET", "must-not-leak-into-scripts-0123456789")
	writeScript(t, h, "env.py", `import json, os
print(json.dumps({"notify": True, "title": os.environ.get("HOME"), "message": os.environ.get("DESKTOP_JWT_SECRET", "none") + " " + os.getcwd()}))
`)
	out, res, err := h.Run(context.Background(), "env.py", RunOptions{User: "petr"})
	if err != nil {
		t.Fatalf("%v (stderr %s)", err, res.Stderr)
	}
	if out.Title != string(h) || out.Message != "none "+h.ScriptsDir() {
		t.Fatalf("environment seen by the script: %+v", out)
	}
}

func TestRunFailures(t *testing.T) {
	h := Home(t.TempDir())
	writeScript(t, h, "crash.py", "import sys\nprint('{\"notify\": true}')\nraise SystemExit('data source unreachable')\n")
	writeScript(t, h, "noise.py", "print('debug')\nprint('{\"notify\": true}')\n")
	writeScript(t, h, "segv.py", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
	for name, want := range map[string]struct {
		code Code
		text string
	}{
		"crash.py":   {CodeExitStatus, "exited with status 1: data source unreachable"},
		"noise.py":   {CodeBadOutput, "noise.py: script output is not a JSON object"},
		"segv.py":    {CodeExitStatus, "segv.py was stopped (signal: segmentation fault)"},
		"missing.py": {CodeNotFound, "no script"},
		"../x.py":    {CodeBadName, "not a path"},
	} {
		_, _, err := h.Run(context.Background(), name, RunOptions{})
		if CodeOf(err) != want.code || !strings.Contains(err.Error(), want.text) {
			t.Errorf("%s: %v, want %s containing %q", name, err, want.code, want.text)
		}
	}
}

func TestInterpreterPrefersVenv(t *testing.T) {
	h := Home(t.TempDir())
	if p, err := h.Interpreter(); err != nil || !strings.HasSuffix(p, "python3") {
		t.Fatalf("no venv: %q %v", p, err)
	}
	if err := os.MkdirAll(filepath.Dir(h.Venv()), 0o755); err != nil {
		t.Fatal(err)
	}
	// A venv python that is a tiny shell wrapper proves the venv is used.
	if err := os.WriteFile(h.Venv(), []byte("#!/bin/sh\necho '{\"notify\": true, \"title\": \"from venv\"}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeScript(t, h, "x.py", "print('{\"notify\": false}')\n")
	out, _, err := h.Run(context.Background(), "x.py", RunOptions{})
	if err != nil || out.Title != "from venv" {
		t.Fatalf("%+v %v", out, err)
	}
}

func TestScriptsAndState(t *testing.T) {
	h := Home(t.TempDir())
	names, skipped, err := h.Scripts()
	if err != nil || names != nil || skipped != nil {
		t.Fatalf("missing folder: %v %v %v", names, skipped, err)
	}
	for _, n := range []string{"b.py", "a.py", "bad name.py", "notes.txt"} {
		writeScript(t, h, n, "")
	}
	if err := os.Mkdir(h.ScriptPath("dir.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	names, skipped, err = h.Scripts()
	if err != nil || strings.Join(names, ",") != "a.py,b.py" || strings.Join(skipped, ",") != "bad name.py,dir.py" {
		t.Fatalf("names %v skipped %v err %v", names, skipped, err)
	}

	now := time.Now().UTC().Truncate(time.Second)
	if err := h.SaveState("a", State{LastRun: &now, LastNotified: &now, Cooldown: "1h"}); err != nil {
		t.Fatal(err)
	}
	s, err := h.LoadState("a")
	if err != nil || !s.LastNotified.Equal(now) {
		t.Fatalf("%+v %v", s, err)
	}
	if in, until := s.InCooldown(now.Add(59*time.Minute), time.Hour); !in || !until.Equal(now.Add(time.Hour)) {
		t.Fatal("should be in cooldown")
	}
	if in, _ := s.InCooldown(now.Add(time.Hour), time.Hour); in {
		t.Fatal("cooldown should have expired")
	}
	if err := os.WriteFile(filepath.Join(h.StateDir(), "a.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LoadState("a"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt state: %v", err)
	}
}

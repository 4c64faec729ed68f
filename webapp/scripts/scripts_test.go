package scripts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
)

func writeExe(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// In production the helper runs through sudo as the user, with an argv
// (never a shell string). A stand-in sudo on PATH records what it got.
func TestSudoArgv(t *testing.T) {
	dir := t.TempDir()
	writeExe(t, dir, "sudo", "#!/bin/sh\nprintf '[{\"name\":\"%s\",\"stem\":\"x\",\"last_run\":null}]' \"$*\"\n")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := &Runner{Helper: "/usr/local/bin/notify-scripts", Sudo: true}
	list, err := r.List(context.Background(), "petr")
	if err != nil {
		t.Fatal(err)
	}
	if got := list[0].Name; got != "-n -u petr -- /usr/local/bin/notify-scripts list" {
		t.Fatalf("sudo argv %q", got)
	}
}

func TestTimeoutOversizeAndLaunchFailure(t *testing.T) {
	dir := t.TempDir()
	slow := writeExe(t, dir, "slow", "#!/bin/sh\nexec sleep 30\n")
	r := &Runner{Helper: slow, HomeRoot: t.TempDir(), RunTimeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := r.Run(context.Background(), "petr", "a.py")
	if e := apperr.From(err); e.Status != 504 || time.Since(start) > 5*time.Second {
		t.Fatalf("slow helper: %v after %s", err, time.Since(start))
	}

	big := writeExe(t, dir, "big", "#!/bin/sh\nhead -c 3000000 /dev/zero\n")
	r = &Runner{Helper: big, HomeRoot: t.TempDir()}
	if _, err := r.List(context.Background(), "petr"); apperr.From(err).Status != 502 {
		t.Fatalf("oversized output: %v", err)
	}

	r = &Runner{Helper: filepath.Join(dir, "missing"), HomeRoot: t.TempDir()}
	_, err = r.List(context.Background(), "petr")
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != protocol.CodeHelperFailed || e.Status != 503 {
		t.Fatalf("missing helper: %v", err)
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a.py", "revenue_check.py", "x-1.v2.py"} {
		if ValidName(ok) != nil {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", ".py", "../a.py", "a/b.py", ".a.py", "-a.py", "a.sh", "a.py ", "a\x00.py"} {
		if ValidName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// In direct mode the helper gets the environment the configuration chose
// (Runner.Env), not this process's: with no PATH there, DefaultPath.
func TestDirectModeEnvironment(t *testing.T) {
	dir := t.TempDir()
	printEnv := writeExe(t, dir, "env-helper", "#!/bin/sh\nprintf '[{\"name\":\"%s|%s|%s|%s\",\"stem\":\"x\",\"last_run\":null}]' \"$PATH\" \"$NOTIFY_ANALYST_GROUP\" \"$STRAY\" \"${HOME##*/}\"\n")
	t.Setenv("STRAY", "from the webapp's own environment")
	t.Setenv("NOTIFY_ANALYST_GROUP", "process-group")
	r := &Runner{Helper: printEnv, HomeRoot: t.TempDir()}
	list, err := r.List(context.Background(), "petr")
	if err != nil {
		t.Fatal(err)
	}
	if got := list[0].Name; got != DefaultPath+"|||petr" {
		t.Fatalf("without Env: %q", got)
	}
	r.Env = []string{"PATH=/opt/bin:/usr/bin:/bin", "NOTIFY_ANALYST_GROUP=analysts", "HOME=/root"}
	if list, err = r.List(context.Background(), "petr"); err != nil {
		t.Fatal(err)
	}
	if got := list[0].Name; got != "/opt/bin:/usr/bin:/bin|analysts||petr" {
		t.Fatalf("with Env: %q", got)
	}
}

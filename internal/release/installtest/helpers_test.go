// Package installtest installs the built Linux packages on this machine
// with dpkg and checks what a user and an admin get: the app's URL handler,
// the installed app signed in through xdg-open, the server's users, modes
// and units, an alert end to end through the installed binaries, and a
// clean removal. It needs root and changes the system, so it runs only when
// scripts/test.d/50-linux-packages.sh hands it the packages
// (ANALYST_PKG_APP, ANALYST_PKG_SERVER).
package installtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/internal/logtest"

	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

func TestMain(m *testing.M) { webapptest.Main(m) }

// needs returns the package named by env, or skips the test.
func needs(t *testing.T, env string) string {
	t.Helper()
	deb := os.Getenv(env)
	if deb == "" {
		t.Skipf("set %s to a built .deb (scripts/test.d/50-linux-packages.sh)", env)
	}
	if os.Geteuid() != 0 {
		t.Fatal("installing a package needs root")
	}
	return deb
}

// run runs a command and returns its output; a failure fails the test.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// installed says whether dpkg has pkg installed (in any state but absent).
func installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg).Output()
	return err == nil && len(bytes.TrimSpace(out)) > 0 && !strings.HasPrefix(string(out), "un")
}

// tree lists every path under the roots (missing roots list nothing).
func tree(roots ...string) map[string]bool {
	seen := map[string]bool{}
	for _, r := range roots {
		filepath.Walk(r, func(p string, _ os.FileInfo, err error) error {
			if err == nil {
				seen[p] = true
			}
			return nil
		})
	}
	return seen
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForLog is waitFor that shows a program's log when it times out.
func waitForLog(t *testing.T, what string, timeout time.Duration, logPath string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("timed out waiting for %s; %s:\n%s", what, filepath.Base(logPath), b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logHas says whether a line of the file holds every part.
func logHas(path string, parts ...string) bool { return logtest.HasLine(path, parts...) }

// underSystemd runs argv (a package manager's command) where the server's
// maintainer scripts see systemd running, and returns the systemctl
// commands they gave. systemd is not PID 1 here, so argv runs in a private
// mount namespace (unshare -m) with a private /run holding
// /run/systemd/system (the scripts' test for systemd) and a script over
// /usr/bin/systemctl that writes down its arguments (rpm runs scriptlets
// with its own PATH, so it must be at that path). Everything else argv does
// is real. Without /usr/bin/systemctl to cover it skips the test.
func underSystemd(t *testing.T, argv ...string) []string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/systemctl"); err != nil {
		t.Skipf("no /usr/bin/systemctl to stand in for: %v", err)
	}
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	fake := filepath.Join(dir, "systemctl")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"$*\" >>"+calls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const setup = `set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
mount --bind "$0" /usr/bin/systemctl
exec "$@"`
	run(t, "unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", setup, fake}, argv...)...)
	b, err := os.ReadFile(calls)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// serverServices are the units as the server's maintainer scripts name them.
const serverServices = "ws-gateway.service webapp.service notify-bot.service"

// wantSystemctl fails the test unless the maintainer scripts gave exactly
// the systemctl commands want (underSystemd), in that order.
func wantSystemctl(t *testing.T, when string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: the maintainer scripts ran systemctl %q, want %q", when, got, want)
	}
}

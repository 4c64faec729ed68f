package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// When the tests run as root, run the helper as another real user (nobody,
// group nogroup) the way sudo -u would: the group check must look at that
// user's own credentials, and the home must come from the environment the
// caller set up.
func TestRunAsAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	// setpriv switches uid, gid and supplementary groups as sudo -u does,
	// and leaves the environment as given (runuser would reset HOME).
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	// The binary's folder and a home that nobody can use.
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "asuser")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	home := notifyscript.Home(filepath.Join(base, "home"))
	if err := os.MkdirAll(home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(home.ScriptPath("whoami.py"), []byte("import json, os\nprint(json.dumps({'notify': True, 'title': str(os.getuid())}))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(string(home), func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}

	run := func(group string, extra ...string) (int, []byte) {
		cmd := exec.Command(setpriv, "--reuid=nobody", "--regid=nogroup", "--init-groups", "--", binary, "run", "whoami.py")
		cmd.Env = []string{"HOME=" + string(home), "PATH=" + os.Getenv("PATH"), "NOTIFY_ANALYST_GROUP=" + group,
			"NOTIFICATION_IMAGES_DIR=" + filepath.Join(base, "images")}
		cmd.Env = append(cmd.Env, extra...)
		out, err := cmd.Output()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), out
	}

	code, out := run("root")
	if code != 3 || !strings.Contains(string(out), `user nobody is not in the analysts' group \"root\"`) {
		t.Fatalf("nobody in group root: %d %s", code, out)
	}
	code, out = run("nogroup")
	var r notifyscript.RunResult
	if err := json.Unmarshal(out, &r); err != nil || code != 0 || r.Title != "65534" {
		t.Fatalf("nobody in nogroup: %d %s", code, out)
	}
	// Under sudo (SUDO_USER set) a HOME left over from the caller is not
	// trusted: the password database names nobody's home.
	code, out = run("nogroup", "SUDO_USER=root")
	if code != 4 || !strings.Contains(string(out), "/nonexistent/user/notifications") {
		t.Fatalf("under sudo: %d %s", code, out)
	}
	if st, err := home.LoadState("whoami"); err != nil || st.LastRun == nil {
		t.Fatalf("state written as nobody: %+v %v", st, err)
	}
}

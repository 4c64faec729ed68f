package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	// A chart only root may read, named directly and through a link: the
	// helper reads image_path as the user, never with more rights.
	var chart bytes.Buffer
	_ = png.Encode(&chart, image.NewGray(image.Rect(0, 0, 8, 8)))
	rootOnly := filepath.Join(base, "root-only.png")
	if err := os.WriteFile(rootOnly, chart.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	rootLink := filepath.Join(base, "link.png")
	if err := os.Symlink(rootOnly, rootLink); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"direct.py": rootOnly, "linked.py": rootLink} {
		if err := os.WriteFile(home.ScriptPath(name), []byte("import json\nprint(json.dumps({'notify': True, 'image_path': "+strconv.Quote(path)+"}))\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.Walk(string(home), func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, 65534, 65534)
	}); err != nil {
		t.Fatal(err)
	}

	runScript := func(script, group string, extra ...string) (int, []byte) {
		cmd := exec.Command(setpriv, "--reuid=nobody", "--regid=nogroup", "--init-groups", "--", binary, "run", script)
		cmd.Env = []string{"HOME=" + string(home), "PATH=" + os.Getenv("PATH"), "NOTIFY_ANALYST_GROUP=" + group,
			"NOTIFICATION_IMAGES_DIR=" + filepath.Join(base, "images")}
		cmd.Env = append(cmd.Env, extra...)
		out, err := cmd.Output()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), out
	}
	run := func(group string, extra ...string) (int, []byte) { return runScript("whoami.py", group, extra...) }
	for script, want := range map[string]string{"direct.py": "permission denied", "linked.py": "symbolic link"} {
		code, out := runScript(script, "nogroup")
		var r notifyscript.RunResult
		if err := json.Unmarshal(out, &r); err != nil || code != 0 || r.ImageURL != "" || !strings.Contains(r.ImageError, want) {
			t.Fatalf("%s as nobody: %d %s", script, code, out)
		}
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

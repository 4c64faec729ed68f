package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// stage writes stand-in binaries for the configurations' ${STAGE} files.
func stage(t *testing.T) string {
	dir := t.TempDir()
	for _, b := range []string{"analyst-alerts", "ws-gateway", "webapp", "notify-runner", "notify-scripts", "notify-bot"} {
		if err := os.WriteFile(filepath.Join(dir, b), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The repository's two configurations build in both formats, and the
// .debs hold what the install test and docs/deploy.md rely on, with the
// modes they give (the install test checks the same on a real install, as
// root; this runs everywhere).
func TestConfigsBuild(t *testing.T) {
	t.Chdir("../..") // the configurations' paths are the repository's
	env := map[string]string{"VERSION": "1.2.3", "ARCH": "amd64", "STAGE": stage(t)}
	out := t.TempDir()
	want := map[string][]string{
		"build/linux/nfpm-app.yaml": {
			"-rwxr-xr-x root/root ./usr/bin/analyst-alerts",
			"-rw-r--r-- root/root ./usr/share/applications/analyst-alerts.desktop",
			"-rw-r--r-- root/root ./usr/share/icons/hicolor/256x256/apps/analyst-alerts.png",
		},
		"deploy/nfpm-server.yaml": {
			"-rwxr-xr-x root/root ./usr/local/bin/ws-gateway",
			"-rwxr-xr-x root/root ./usr/local/bin/notify-bot",
			"-r--r----- root/root ./etc/sudoers.d/notify-scripts",
			"-rw-r--r-- root/root ./lib/systemd/system/ws-gateway.service",
			"-rw-r--r-- root/root ./usr/share/analyst-alerts-server/nginx/nginx-ws.conf",
		},
	}
	for config, files := range want {
		for _, format := range []string{"deb", "rpm"} {
			path, err := Build(config, format, out, env)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(filepath.Base(path), "1.2.3") {
				t.Errorf("%s: %s does not carry the version", config, path)
			}
			if format != "deb" {
				continue
			}
			if _, err := exec.LookPath("dpkg-deb"); err != nil {
				t.Log("no dpkg-deb: contents not listed")
				continue
			}
			list, err := exec.Command("dpkg-deb", "-c", path).Output()
			if err != nil {
				t.Fatal(err)
			}
			lines := map[string]bool{}
			for _, l := range strings.Split(string(list), "\n") {
				f := strings.Fields(l)
				if len(f) == 6 {
					lines[f[0]+" "+f[1]+" "+f[5]] = true
				}
			}
			for _, w := range files {
				if !lines[w] {
					t.Errorf("%s lacks %q:\n%s", path, w, list)
				}
			}
		}
	}
}

// The .desktop file names the scheme the server's links use (one
// definition: protocol.DefaultURLScheme).
func TestDesktopFileHandlesTheScheme(t *testing.T) {
	b, err := os.ReadFile("../../build/linux/analyst-alerts.desktop")
	if err != nil {
		t.Fatal(err)
	}
	want := "MimeType=x-scheme-handler/" + protocol.DefaultURLScheme + ";"
	if !strings.Contains(string(b), "\n"+want+"\n") || !strings.Contains(string(b), "\nExec=analyst-alerts %u\n") {
		t.Fatalf("build/linux/analyst-alerts.desktop lacks %q or Exec=analyst-alerts %%u", want)
	}
}

// A variable the caller did not give is an error, not an empty string: a
// package without its version or its binaries must not be built.
func TestMissingVariableIsAnError(t *testing.T) {
	t.Chdir("../..")
	_, err := Build("build/linux/nfpm-app.yaml", "deb", t.TempDir(), map[string]string{"VERSION": "1.2.3", "ARCH": "amd64"})
	if err == nil || !strings.Contains(err.Error(), "STAGE") {
		t.Fatalf("got %v, want an error naming STAGE", err)
	}
}

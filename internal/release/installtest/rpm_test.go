package installtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The .rpms are for Fedora and RHEL, but rpm itself runs here (Debian's rpm
// package), so they are installed for real: their files, modes and
// scriptlets. With --nodeps: Debian's rpmdb holds none of Fedora's packages,
// so no dependency could resolve; that the dependencies name Fedora's
// packages is checked on the file instead (rpmRequires).

// The package names the .rpms may require: Fedora's and RHEL's (their
// package databases, packages.fedoraproject.org: webkit2gtk4.1 is the
// WebKitGTK 4.1 API the webkit2_41 build links, gtk3 is GTK 3,
// shadow-utils holds useradd and groupadd). Not Debian's names
// (libwebkit2gtk-4.1-0, libgtk-3-0, passwd), which no rpm repository has.
var (
	appRPMRequires    = []string{"gtk3", "webkit2gtk4.1"}
	serverRPMRequires = []string{"shadow-utils", "sudo"}
)

// rpmInstalled says whether rpm's database holds pkg.
func rpmInstalled(pkg string) bool { return exec.Command("rpm", "-q", "--quiet", pkg).Run() == nil }

// rpmRequires returns the packages an .rpm file requires, sorted, without
// rpm's own capabilities (rpmlib(...)).
func rpmRequires(t *testing.T, file string) []string {
	t.Helper()
	var names []string
	for _, line := range strings.Split(run(t, "rpm", "-qp", "--requires", file), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "rpmlib(") {
			names = append(names, f[0])
		}
	}
	slices.Sort(names)
	return names
}

// rpmReady checks, before an .rpm is installed, that what it requires is
// Fedora's and that dpkg does not hold the same package (rpm would not see
// its files), and removes what a test that died half way left in rpm's
// database.
func rpmReady(t *testing.T, file, name string, requires []string) {
	t.Helper()
	if got := rpmRequires(t, file); !slices.Equal(got, requires) {
		t.Fatalf("%s requires %v, want Fedora's %v", file, got, requires)
	}
	if installed(name) {
		t.Fatalf("dpkg has %s installed: remove it before the .rpm's test", name)
	}
	if rpmInstalled(name) {
		run(t, "rpm", "-e", "--nodeps", name)
	}
}

// rpmVerify checks every installed file of the package against it (rpm -V:
// digest, size, mode, owner).
func rpmVerify(t *testing.T, name string) { t.Helper(); run(t, "rpm", "-V", "--nodeps", name) }

// TestAppRPM installs the app's .rpm, checks what checkAppInstalled checks
// for the .deb (the files, the .desktop file, the scheme's handler: the
// rpm's %post rebuilds the handler cache, as dpkg's trigger does for the
// .deb), then rpm -e must leave nothing behind (its %postun forgets the
// handler). The installed app itself is run by TestAppPackage: the same
// binary.
func TestAppRPM(t *testing.T) {
	file := needs(t, "ANALYST_PKG_APP_RPM")
	before := tree(appRoots...)
	rpmReady(t, file, "analyst-alerts", appRPMRequires)
	run(t, "rpm", "-i", "--nodeps", file)
	rpmVerify(t, "analyst-alerts")
	removed := false
	t.Cleanup(func() {
		if !removed {
			exec.Command("rpm", "-e", "--nodeps", "analyst-alerts").Run()
		}
	})
	scheme := checkAppInstalled(t)

	run(t, "rpm", "-e", "--nodeps", "analyst-alerts")
	removed = true
	if rpmInstalled("analyst-alerts") {
		t.Fatal("rpm -e left analyst-alerts in rpm's database")
	}
	checkAppRemoved(t, "rpm -e", before, scheme)
}

// TestServerRPM installs the server's .rpm and checks what its %post set
// up, as checkServerInstalled does for the .deb: users, groups, folders,
// secrets, modes, the sudoers entry, the units. (TestServerPackage runs the
// services from the .deb: the same binaries.) rpm -e then removes every
// file of the package. rpm has no purge: the secrets files %post wrote stay,
// as after dpkg -r, so a remove and reinstall keeps the site's secret and
// every app stays signed in; so do the users, groups and /data/notifications
// (as with dpkg --purge).
func TestServerRPM(t *testing.T) {
	file := needs(t, "ANALYST_PKG_SERVER_RPM")
	restore := snapshotAccounts(t)
	_, hadSecrets := os.Stat("/opt/data-analyst")
	t.Cleanup(func() {
		exec.Command("rpm", "-e", "--nodeps", "analyst-alerts-server").Run()
		if hadSecrets != nil {
			os.RemoveAll("/opt/data-analyst")
		}
		restore()
	})
	rpmReady(t, file, "analyst-alerts-server", serverRPMRequires)
	// The scriptlets' arguments differ from dpkg's (%post: 1 install, 2
	// upgrade; %preun: 0 erase, 1 upgrade); a reinstall runs the upgrade's.
	wantSystemctl(t, "rpm -i", underSystemd(t, "rpm", "-i", "--nodeps", file), "daemon-reload")
	wantSystemctl(t, "rpm -U --replacepkgs (upgrade)", underSystemd(t, "rpm", "-U", "--replacepkgs", "--nodeps", file),
		"daemon-reload", "try-restart "+serverServices, "daemon-reload")
	rpmVerify(t, "analyst-alerts-server")
	units, _ := checkServerInstalled(t)
	packaged := strings.Split(run(t, "rpm", "-ql", "analyst-alerts-server"), "\n")
	for _, f := range append(units, "/usr/local/bin/ws-gateway", "/etc/sudoers.d/notify-scripts") {
		if !slices.Contains(packaged, f) {
			t.Errorf("rpm -ql does not list %s", f)
		}
	}

	wantSystemctl(t, "rpm -e", underSystemd(t, "rpm", "-e", "--nodeps", "analyst-alerts-server"),
		"stop "+serverServices, "disable "+serverServices, "daemon-reload")
	if rpmInstalled("analyst-alerts-server") {
		t.Fatal("rpm -e left analyst-alerts-server in rpm's database")
	}
	for _, f := range append(packaged, "/usr/share/analyst-alerts-server", "/usr/share/doc/analyst-alerts-server") {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("rpm -e left %s", f)
		}
	}
	if _, err := os.Stat("/opt/data-analyst/.env"); err != nil {
		t.Errorf("rpm -e removed the secrets file (only dpkg --purge may): %v", err)
	}
}

// TestServerRPMWithoutWWWData installs the server's .rpm on accounts as
// Fedora's and RHEL's are: without www-data (Debian's base-passwd has it;
// they do not), which webapp.service runs as. %post must create it and add
// it to the socket's and the data's groups. This machine's own accounts
// stay as they are: rpm runs in a private mount namespace whose /etc is a
// copy without www-data.
func TestServerRPMWithoutWWWData(t *testing.T) {
	file := needs(t, "ANALYST_PKG_SERVER_RPM")
	rpmReady(t, file, "analyst-alerts-server", serverRPMRequires)
	restore := snapshotAccounts(t)
	_, hadSecrets := os.Stat("/opt/data-analyst")
	t.Cleanup(func() {
		exec.Command("rpm", "-e", "--nodeps", "--noscripts", "analyst-alerts-server").Run()
		if hadSecrets != nil {
			os.RemoveAll("/opt/data-analyst")
		}
		restore()
	})
	etc := filepath.Join(t.TempDir(), "etc")
	run(t, "cp", "-a", "/etc", etc)
	for _, db := range []string{"passwd", "group", "shadow", "gshadow"} {
		run(t, "sed", "-i", "/^www-data:/d", filepath.Join(etc, db))
	}
	const script = `set -e
mount --bind "$0" /etc
getent passwd www-data && exit 3
rpm -i --nodeps "$1"
echo "groups: $(id -nG www-data)"
rpm -e --nodeps analyst-alerts-server`
	out := run(t, "unshare", "--mount", "--propagation", "private", "sh", "-c", script, etc, file)
	_, groups, _ := strings.Cut(out, "groups: ")
	groups, _, _ = strings.Cut(groups, "\n")
	groups = " " + groups + " "
	for _, g := range []string{"www-data", "ws-dispatch", "data-ops"} {
		if !strings.Contains(groups, " "+g+" ") {
			t.Errorf("www-data is in %q, want %s among them; rpm said:\n%s", groups, g, out)
		}
	}
}

package installtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

// The folders the app's package writes to, or its maintainer scripts do.
var appRoots = []string{"/usr/bin", "/usr/share/applications", "/usr/share/icons/hicolor", "/usr/share/doc"}

// viewableWindow returns the id of a mapped top-level window with that
// title, or "".
func viewableWindow(title string) string {
	out, err := exec.Command("xwininfo", "-root", "-tree").Output()
	if err != nil {
		return ""
	}
	re := regexp.MustCompile(`(0x[0-9a-f]+) "` + regexp.QuoteMeta(title) + `"`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		if info, _ := exec.Command("xwininfo", "-id", m[1]).Output(); strings.Contains(string(info), "IsViewable") {
			return m[1]
		}
	}
	return ""
}

// checkAppInstalled checks what the app's package (.deb or .rpm) installed:
// its files, a .desktop file that desktop-file-validate accepts, and the
// system's handler of the sign-in links' scheme naming it, which needs the
// handler cache rebuilt (dpkg's trigger, the rpm's %post). It returns the scheme.
func checkAppInstalled(t *testing.T) string {
	t.Helper()
	for _, f := range []string{"/usr/bin/analyst-alerts", "/usr/share/applications/analyst-alerts.desktop",
		"/usr/share/icons/hicolor/256x256/apps/analyst-alerts.png"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("installed package lacks %s: %v", f, err)
		}
	}
	run(t, "desktop-file-validate", "/usr/share/applications/analyst-alerts.desktop")
	scheme := protocol.DefaultURLScheme
	if got := run(t, "xdg-mime", "query", "default", "x-scheme-handler/"+scheme); got != "analyst-alerts.desktop" {
		t.Fatalf("xdg-mime query default x-scheme-handler/%s = %q, want analyst-alerts.desktop", scheme, got)
	}
	cache, _ := os.ReadFile("/usr/share/applications/mimeinfo.cache")
	if !strings.Contains(string(cache), "x-scheme-handler/"+scheme+"=analyst-alerts.desktop;") {
		t.Fatalf("/usr/share/applications/mimeinfo.cache does not name the handler:\n%s", cache)
	}
	return scheme
}

// TestAppPackage installs analyst-alerts with dpkg -i, checks that the
// system names it the keboola-analyst:// handler, starts the installed app
// (under Xvfb, a private D-Bus and keyring: 50-linux-packages.sh runs this
// in scripts/desktop-session.sh) against a real webapp and gateway, opens a
// sign-in link with xdg-open as a browser does, confirms it in the window
// with the keyboard, and checks the app signed in and connected to the
// gateway; then dpkg -r must leave nothing of it behind.
func TestAppPackage(t *testing.T) {
	deb := needs(t, "ANALYST_PKG_APP")
	if os.Getenv("DISPLAY") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("needs DISPLAY and a private DBUS_SESSION_BUS_ADDRESS (scripts/desktop-session.sh)")
	}
	if installed("analyst-alerts") {
		run(t, "dpkg", "-r", "analyst-alerts") // a run that died half way
	}
	before := tree(appRoots...)

	run(t, "dpkg", "-i", deb)
	removed := false
	t.Cleanup(func() {
		if !removed {
			exec.Command("dpkg", "-r", "analyst-alerts").Run()
		}
	})
	scheme := checkAppInstalled(t)

	// The installed app, as a user starts it, against a real portal and gateway.
	web := webapptest.Start(t, webapptest.Options{Helper: os.Getenv("ANALYST_E2E_HELPER")})
	home := t.TempDir()
	env := append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"),
		"ANALYST_SERVER_URL="+web.URL, "ANALYST_WS_URL="+web.Gateway.WSURL,
		"ANALYST_KEYRING_SERVICE=com.keboola.analyst.pkgtest", "ANALYST_LOG_STDERR=1", "NO_AT_BRIDGE=1")
	logPath := filepath.Join(t.TempDir(), "app.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	app := exec.Command("analyst-alerts") // from PATH: /usr/bin, the package's
	app.Env, app.Stdout, app.Stderr = env, logf, logf
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		app.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { app.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			app.Process.Kill()
			<-done
		}
	}
	defer func() {
		if app.ProcessState == nil {
			stop()
		}
	}()
	// No tray host on this bus: the app shows its window and says so.
	waitFor(t, "the installed app to start", 60*time.Second, func() bool { return logHas(logPath, "no tray icon on this desktop") })

	// The browser's part: xdg-open finds the handler by the scheme and
	// runs its Exec line; that second instance hands the link over.
	link := protocol.DeepLink("", web.Gateway.Token(t, "petr"))
	open := exec.Command("xdg-open", link)
	open.Env = env
	if out, err := open.CombinedOutput(); err != nil {
		t.Fatalf("xdg-open %s: %v\n%s", strings.SplitN(link, "?", 2)[0], err, out)
	}
	// The server checked the token (a refused one logs "refused"); a link the
	// app did not ask for waits in the window for the user to confirm.
	waitFor(t, "the link to reach the running app", 30*time.Second, func() bool {
		return logHas(logPath, "sign-in link waits for the user's confirmation", `"user":"petr"`)
	})
	if logHas(logPath, "sign-in link refused") {
		t.Fatal("the server refused the link's token")
	}
	// The user confirms: the view puts the keyboard focus on its heading, so
	// Tab reaches "Sign in as petr" and Return presses it (real key events
	// through XTEST, into the focused window).
	var win string
	waitFor(t, "the window asking to sign in", 15*time.Second, func() bool {
		win = viewableWindow("Analyst Alerts")
		return win != ""
	})
	time.Sleep(2 * time.Second) // let WebKit paint the view
	run(t, "xdotool", "windowfocus", "--sync", win)
	run(t, "xdotool", "key", "--delay", "200", "Tab", "Return")
	waitFor(t, "the app to sign in", 15*time.Second, func() bool {
		return logHas(logPath, "sign-in link confirmed by the user", `"user":"petr"`) && logHas(logPath, `"msg":"signed in"`, `"user":"petr"`)
	})
	waitFor(t, "the signed-in app to connect to the gateway", 30*time.Second, func() bool {
		c := web.Gateway.Client()
		defer c.Close()
		hr, err := c.Health(context.Background())
		return err == nil && hr.Users["petr"] == 1
	})
	stop()

	run(t, "dpkg", "-r", "analyst-alerts")
	removed = true
	if installed("analyst-alerts") {
		t.Fatal("dpkg -r left the package in dpkg's database: " + run(t, "dpkg-query", "-W", "-f=${db:Status-Abbrev}", "analyst-alerts"))
	}
	checkAppRemoved(t, "dpkg -r", before, scheme)
}

// checkAppRemoved checks that removing the app's package (how: "dpkg -r",
// "rpm -e") left nothing under appRoots that was not there before, and that
// no handler of the scheme remains.
func checkAppRemoved(t *testing.T, how string, before map[string]bool, scheme string) {
	t.Helper()
	after := tree(appRoots...)
	for p := range after {
		// The desktop and icon caches the maintainer scripts (or dpkg's
		// triggers) rebuild may stay, with other packages' entries: not ours.
		if strings.HasSuffix(p, "/mimeinfo.cache") || strings.HasSuffix(p, "/icon-theme.cache") {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), "analyst-alerts") {
				t.Errorf("after %s %s still names analyst-alerts", how, p)
			}
			continue
		}
		if !before[p] {
			t.Errorf("%s left %s behind", how, p)
		}
	}
	if got, _ := exec.Command("xdg-mime", "query", "default", "x-scheme-handler/"+scheme).Output(); strings.TrimSpace(string(got)) != "" {
		t.Errorf("after %s the handler is still %q", how, got)
	}
}

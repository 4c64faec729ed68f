package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

// packageName is an app package for this machine's platform, as the
// release names them.
func packageName(version string) string {
	switch runtime.GOOS {
	case "windows":
		return "analyst-alerts-" + version + "-windows-amd64-setup.exe"
	case "darwin":
		return "analyst-alerts-" + version + "-macos-universal.dmg"
	}
	return "analyst-alerts_" + version + "_amd64.deb"
}

// TestNewerVersionFromTheRealPortal: the app asks the real webapp at start
// and then daily; the same version shows nothing; a newer package dropped
// in the portal's downloads shows "Version X is available" at the next
// daily check, and Download opens the portal's link in the browser, where a
// signed-in person gets the package. Nothing is downloaded by the app.
func TestNewerVersionFromTheRealPortal(t *testing.T) {
	downloads := t.TempDir()
	drop := func(name string) {
		if err := os.WriteFile(filepath.Join(downloads, name), []byte("package "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	drop(packageName("0.1.0"))
	web := webapptest.Start(t, webapptest.Options{Env: []string{config.EnvDownloadsDir + "=" + downloads}})
	e := &env{gw: web.Gateway, web: web, opened: make(chan string, 10),
		cfg: appConfig(t, web.URL, web.Gateway.WSURL, "test-update")}
	clock := clockwork.NewFakeClock()
	r := newRecorder()
	a, err := New(Deps{Config: e.cfg, Notifier: r, UI: r, Badge: r, Clock: clock, Version: "0.1.0",
		Browser: func(u string) error { e.opened <- u; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(a.Stop)

	asked := func() int { return web.Requests("GET", protocol.PathDesktopVersion) }
	waitFor(t, "the check at start", func() bool { return asked() == 1 })
	if s := a.State(); s.Update != nil || s.Version != "0.1.0" {
		t.Fatalf("same version: update %+v, version %q", s.Update, s.Version)
	}
	if err := a.API().OpenUpdate(); err == nil {
		t.Fatal("OpenUpdate with no newer version")
	}

	drop(packageName("0.2.0"))
	clock.Advance(UpdateEvery - time.Minute)
	if asked() != 1 {
		t.Fatalf("asked %d times before a day passed", asked())
	}
	clock.Advance(time.Minute)
	want := web.URL + "/download/" + packageName("0.2.0")
	s := r.waitState(t, func(s State) bool { return s.Update != nil })
	if s.Update.Version != "0.2.0" || s.Update.URL != want {
		t.Fatalf("update %+v, want 0.2.0 at %s", s.Update, want)
	}
	if asked() != 2 {
		t.Fatalf("asked %d times after a day, want 2", asked())
	}

	if err := a.API().OpenUpdate(); err != nil {
		t.Fatal(err)
	}
	opened := <-e.opened
	if opened != want {
		t.Fatalf("opened %s, want %s", opened, want)
	}
	resp, err := web.Browser(t, "petr@example.com").Get(opened)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "package "+packageName("0.2.0") {
		t.Fatalf("the link gives %d %q", resp.StatusCode, body)
	}
}

// TestUpdateCheckKeepsNoIdleConnection: the check at start leaves no
// connection to the portal open. The transport would close an idle one
// 90 s later on a timer, which woke the otherwise idle app (issue 17).
func TestUpdateCheckKeepsNoIdleConnection(t *testing.T) {
	web := webapptest.Start(t, webapptest.Options{})
	e := &env{gw: web.Gateway, web: web, cfg: appConfig(t, web.URL, web.Gateway.WSURL, "test-update-idle")}
	var open atomic.Int32
	dialer := &net.Dialer{}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			open.Add(1)
			return &countedConn{Conn: c, open: &open}, nil
		},
	}}
	r := newRecorder()
	a, err := New(Deps{Config: e.cfg, Notifier: r, UI: r, Badge: r, Clock: clockwork.NewFakeClock(),
		Version: "0.1.0", HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(a.Stop)
	waitFor(t, "the check at start", func() bool { return web.Requests("GET", protocol.PathDesktopVersion) == 1 })
	waitFor(t, "no connection to the portal left open", func() bool { return open.Load() == 0 })
}

// countedConn counts itself out of open when closed (once).
type countedConn struct {
	net.Conn
	open   *atomic.Int32
	closed atomic.Bool
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.open.Add(-1)
	}
	return c.Conn.Close()
}

// TestNewerVersionIsOnlyANewerReleaseOnThePortal: what the portal says is
// shown only for a release newer than ours, with a link on the portal
// itself (the app opens it in the browser).
func TestNewerVersionIsOnlyANewerReleaseOnThePortal(t *testing.T) {
	const server = "https://alerts.example.com"
	for _, c := range []struct {
		version, url string
		shown        bool
	}{
		{"1.3.0", server + "/download/analyst-alerts-1.3.0-macos.dmg", true},
		{"1.10.0", server + "/dashboard", true},
		{"1.2.3", server + "/dashboard", false},         // ours
		{"1.2.0", server + "/dashboard", false},         // older
		{"", "", false},                                 // nothing known
		{"1.3.0-rc1", server + "/dashboard", false},     // not a release
		{"banana", server + "/dashboard", false},        // not a version
		{"1.3.0", "https://evil.example/x.exe", false},  // another site
		{"1.3.0", "http://alerts.example.com/x", false}, // downgraded to http
		{"1.3.0", "https://u:p@alerts.example.com/x", false},
		{"1.3.0", "javascript:alert(1)", false},
	} {
		got := newerVersion("1.2.3", protocol.DesktopVersion{Version: c.version, URL: c.url}, server)
		if (got != nil) != c.shown || (got != nil && (got.Version != c.version || got.URL != c.url)) {
			t.Errorf("%q at %q: %+v, shown want %v", c.version, c.url, got, c.shown)
		}
	}
}

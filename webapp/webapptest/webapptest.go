// Package webapptest runs the real webapp in-process for other packages'
// tests, wired exactly as the webapp command wires it (config.Load on an
// environment, server.Wire, server.New, Server.Serve on a real loopback
// listener), beside gateway/gatewaytest's real gateway: a real DATA_DIR in
// a temporary folder, and the real notify-scripts helper running real
// Python scripts from temporary development homes.
package webapptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
	"github.com/keboola/analyst-alerts/webapp/server"
)

// Options change the webapp's defaults; zero values keep them.
type Options struct {
	// Gateway is the gateway the webapp shares a secret and a dispatch
	// socket with; nil starts one for the test.
	Gateway *gatewaytest.Gateway
	// DataDir is DATA_DIR; "" is a new temporary folder. Pass another
	// webapp's to restart on the same data.
	DataDir string
	// HomeRoot holds the development homes (NOTIFY_SCRIPTS_HOME_ROOT); ""
	// is a new temporary folder.
	HomeRoot string
	// Env is more of the webapp's environment (NAME=value, as in
	// webapp/config), after the defaults: e.g. AUTH_MODE=oidc and its
	// OIDC_* variables, WEBAPP_PUBLIC_URL, WEBAPP_DEV_USER.
	Env []string
	// Deps changes a collaborator after the wiring, before the server is
	// built: a clock, sign-in rules with an in-memory username map, another
	// logger (Webapp.Logs and Requests then see nothing).
	Deps func(*server.Deps)
	// RevocationSync is Serve's interval: 0 as in production, negative off
	// (a test that drives Server.SyncRevocations itself).
	RevocationSync time.Duration
	// Helper is a built notify-scripts; "" builds one (see Helper). A test
	// binary run away from the source tree (the desktop end-to-end run)
	// is handed one.
	Helper string
	// Log receives the webapp's logs (debug level); discarded when nil.
	Log io.Writer
}

// Webapp is a running test webapp.
type Webapp struct {
	URL      string // http://127.0.0.1:PORT, no trailing slash
	Addr     string // 127.0.0.1:PORT
	Server   *server.Server
	Config   config.Config
	Gateway  *gatewaytest.Gateway
	DataDir  string
	HomeRoot string
	// Logs is everything the webapp logged, at debug level (every request).
	Logs *gatewaytest.LogBuffer
}

// Start runs a webapp in development sign-in mode until the test ends.
func Start(t testing.TB, o Options) *Webapp {
	t.Helper()
	gw := o.Gateway
	if gw == nil {
		gw = gatewaytest.Start(t, gatewaytest.Options{})
	}
	w := &Webapp{Gateway: gw, DataDir: o.DataDir, HomeRoot: o.HomeRoot, Logs: &gatewaytest.LogBuffer{}}
	if w.DataDir == "" {
		w.DataDir = t.TempDir()
	}
	if w.HomeRoot == "" {
		w.HomeRoot = t.TempDir()
	}
	// The listener comes first: WEBAPP_ADDR, the public URL and the OIDC
	// redirect follow its address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.Addr = ln.Addr().String()
	helperBin := o.Helper
	if helperBin == "" {
		helperBin = Helper(t)
	}
	environ := append([]string{
		"PATH=" + os.Getenv("PATH"),
		"NOTIFY_ANALYST_GROUP=" + analystGroup(t),
		config.EnvAddr + "=" + w.Addr,
		config.EnvAuthMode + "=" + config.AuthDev,
		config.EnvSecret + "=" + string(gw.Secret),
		config.EnvIssuer + "=" + gw.Issuer,
		config.EnvSocket + "=" + gw.Socket,
		config.EnvDataDir + "=" + w.DataDir,
		config.EnvHelper + "=" + helperBin,
		config.EnvHelperRunAs + "=" + config.RunAsDirect,
		config.EnvHelperHomeRoot + "=" + w.HomeRoot,
		config.EnvSessionMaxAge + "=1h",
	}, o.Env...)
	cfg, err := config.Load(environ)
	if err != nil {
		ln.Close()
		t.Fatalf("webapp configuration: %v", err)
	}
	var lw io.Writer = w.Logs
	if o.Log != nil {
		lw = io.MultiWriter(w.Logs, o.Log)
	}
	log := slog.New(slog.NewTextHandler(lw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	deps, err := server.Wire(cfg, log)
	if err != nil {
		ln.Close()
		t.Fatalf("wire webapp: %v", err)
	}
	if o.Deps != nil {
		o.Deps(&deps)
	}
	srv, err := server.New(deps)
	if err != nil {
		ln.Close()
		t.Fatalf("start webapp: %v", err)
	}
	w.Server, w.Config = srv, cfg
	w.URL = "http://" + w.Addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, o.RevocationSync) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webapp: %v", err)
		}
	})
	return w
}

// ScriptsDir is user's scripts folder in the webapp's development home.
func (w *Webapp) ScriptsDir(user string) string {
	return notifyscript.Home(filepath.Join(w.HomeRoot, user)).ScriptsDir()
}

// Script writes a notification script into user's development home.
func (w *Webapp) Script(t testing.TB, user, name, code string) {
	t.Helper()
	dir := w.ScriptsDir(user)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Image puts a chart into the folder the webapp serves (DATA_DIR/images),
// as the notify tools publish one.
func (w *Webapp) Image(t testing.TB, name string, data []byte) {
	t.Helper()
	dir := filepath.Join(w.DataDir, "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Requests counts the requests the webapp answered for method and path
// (from its access log).
func (w *Webapp) Requests(method, path string) int {
	return strings.Count(w.Logs.String(), "request.method="+method+" request.path="+path+" ")
}

// Browser is a browser (its own cookie jar; redirects not followed)
// signed in through the development sign-in form as email.
func (w *Webapp) Browser(t testing.TB, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(w.URL+"/auth/dev/login", url.Values{"email": {email}, "next": {"/dashboard"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dev sign-in as %s: %d", email, resp.StatusCode)
	}
	return c
}

// Authorize clicks Authorize on the desktop link page in browser, for the
// app's one-time state (may be ""), and returns the deep link the page
// hands to the app.
func (w *Webapp) Authorize(t testing.TB, browser *http.Client, state string) string {
	t.Helper()
	body, _ := json.Marshal(protocol.AuthorizeRequest{State: state})
	var r protocol.AuthorizeResponse
	w.post(t, browser, protocol.PathDesktopAuthorize, body, &r)
	return r.URL
}

// Unlink clicks Unlink on the dashboard in browser: the webapp refuses the
// user's tokens from then on and tells the gateway.
func (w *Webapp) Unlink(t testing.TB, browser *http.Client) {
	t.Helper()
	w.post(t, browser, protocol.PathDesktopUnlink, nil, nil)
}

func (w *Webapp) post(t testing.TB, c *http.Client, path string, body []byte, out any) {
	t.Helper()
	resp, err := c.Post(w.URL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %v: %s", path, err, b)
		}
	}
}

var helper struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Main is a TestMain for packages that use Helper: it runs the tests, then
// removes the helper's build folder (the binary outlives any one test, so
// a test's own cleanup cannot).
func Main(m *testing.M) {
	code := m.Run()
	if helper.dir != "" {
		os.RemoveAll(helper.dir)
	}
	os.Exit(code)
}

// Helper is the real notify-scripts helper, built once per test binary
// (see Main).
func Helper(t testing.TB) string {
	t.Helper()
	helper.once.Do(func() {
		helper.dir, helper.err = os.MkdirTemp("", "webapptest-helper")
		if helper.err != nil {
			return
		}
		helper.path, helper.err = testbin.Build(helper.dir, "github.com/keboola/analyst-alerts/webapp/cmd/notify-scripts")
	})
	if helper.err != nil {
		t.Fatalf("build notify-scripts: %v", helper.err)
	}
	return helper.path
}

// analystGroup: the helper runs scripts only for members of the analysts'
// group. Unless the test's environment names one, that is the test's own
// primary group. The webapp hands it to the helper in development mode
// (config.HelperEnv), as it hands PATH.
func analystGroup(t testing.TB) string {
	t.Helper()
	if g, ok := os.LookupEnv("NOTIFY_ANALYST_GROUP"); ok {
		return g
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Fatalf("the analysts' group: %v", err)
	}
	return g.Name
}

// Package webapptest runs the real webapp in-process for other packages'
// tests, wired exactly as the webapp command wires it (config.Load on an
// environment, server.Wire, server.New, Server.Serve on a real loopback
// listener), beside gateway/gatewaytest's real gateway: a real DATA_DIR in
// a temporary folder, and the real notify-scripts helper running real
// Python scripts from temporary development homes.
package webapptest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
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
	// built: a clock, sign-in rules with an in-memory username map.
	Deps func(*server.Deps)
	// RevocationSync is Serve's interval: 0 as in production, negative off
	// (a test that drives Server.SyncRevocations itself).
	RevocationSync time.Duration
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
}

// Start runs a webapp in development sign-in mode until the test ends.
func Start(t testing.TB, o Options) *Webapp {
	t.Helper()
	gw := o.Gateway
	if gw == nil {
		gw = gatewaytest.Start(t, gatewaytest.Options{})
	}
	w := &Webapp{Gateway: gw, DataDir: o.DataDir, HomeRoot: o.HomeRoot}
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
	environ := append([]string{
		config.EnvAddr + "=" + w.Addr,
		config.EnvAuthMode + "=" + config.AuthDev,
		config.EnvSecret + "=" + string(gw.Secret),
		config.EnvIssuer + "=" + gw.Issuer,
		config.EnvSocket + "=" + gw.Socket,
		config.EnvDataDir + "=" + w.DataDir,
		config.EnvHelper + "=" + Helper(t),
		config.EnvHelperRunAs + "=" + config.RunAsDirect,
		config.EnvHelperHomeRoot + "=" + w.HomeRoot,
		config.EnvSessionMaxAge + "=1h",
	}, o.Env...)
	cfg, err := config.Load(environ)
	if err != nil {
		ln.Close()
		t.Fatalf("webapp configuration: %v", err)
	}
	lw := o.Log
	if lw == nil {
		lw = io.Discard
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
// (see Main). The helper runs scripts only for members of the
// analysts' group: Helper makes that the test's own primary group
// (NOTIFY_ANALYST_GROUP, which the webapp passes on to it) unless the
// environment names one.
func Helper(t testing.TB) string {
	t.Helper()
	helper.once.Do(func() {
		if _, ok := os.LookupEnv("NOTIFY_ANALYST_GROUP"); !ok {
			g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
			if err != nil {
				helper.err = err
				return
			}
			os.Setenv("NOTIFY_ANALYST_GROUP", g.Name)
		}
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

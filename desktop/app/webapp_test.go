package app

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/desktop/config"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	wconfig "github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/server"
	"github.com/keboola/analyst-alerts/webapp/session"
	"github.com/keboola/analyst-alerts/webapp/signin"
)

// TestAgainstTheRealWebapp runs the app against the real webapp (now that
// it exists; the other tests use the stand-in for its contract) with the
// real notify-scripts helper running a real Python script: the whole chain
// Run -> webapp -> helper -> script -> gateway -> app -> native
// notification, plus a token refresh and the chart download.
func TestAgainstTheRealWebapp(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3 for the notification script")
	}
	dir := t.TempDir()
	helper, err := testbin.Build(dir, "github.com/keboola/analyst-alerts/webapp/cmd/notify-scripts")
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_ANALYST_GROUP", g.Name) // the helper lets this group run scripts

	gw := gatewaytest.Start(t, gatewaytest.Options{})
	home, data := filepath.Join(dir, "homes"), filepath.Join(dir, "data")
	scriptDir := filepath.Join(home, "petr", "user", "notifications")
	os.MkdirAll(scriptDir, 0o755)
	os.WriteFile(filepath.Join(scriptDir, "revenue_check.py"), []byte(
		`import base64, json, os, tempfile
p = os.path.join(tempfile.mkdtemp(), "chart.png")
open(p, "wb").write(base64.b64decode("`+"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"+`"))
print(json.dumps({"notify": True, "title": "Revenue drop", "message": "Fell 32%\nsince Monday", "image_path": p, "cooldown": "1m"}))
`), 0o644)
	cfg := wconfig.Config{Addr: "127.0.0.1:0", Secret: gw.Secret, Issuer: gw.Issuer, URLScheme: protocol.DefaultURLScheme,
		Socket: gw.Socket, AuthMode: wconfig.AuthDev, DataDir: data, DownloadsDir: filepath.Join(data, "downloads"),
		Helper: helper, HelperRunAs: wconfig.RunAsDirect, HelperHomeRoot: home, SessionMaxAge: time.Hour}
	store, err := links.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := session.DeriveKey(cfg.Secret)
	sess, err := session.New(key, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Deps{Config: cfg, Links: store, Sessions: sess, Rules: signin.Rules{AllowAny: true},
		Scripts: &scripts.Runner{Helper: helper, HomeRoot: home, RunTimeout: 30 * time.Second, ImagesDir: filepath.Join(data, "images"), Env: os.Environ()},
		Gateway: protocol.NewClient(gw.Socket), Images: images.Store{Dir: filepath.Join(data, "images")},
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv.Handler())
	defer web.Close()

	appHome := t.TempDir()
	acfg, err := config.FromEnviron([]string{"HOME=" + appHome, "XDG_CONFIG_HOME=" + appHome + "/cfg", "XDG_CACHE_HOME=" + appHome + "/cache",
		config.EnvServerURL + "=" + web.URL, config.EnvWSURL + "=" + gw.WSURL, config.EnvKeyringName + "=test-real-webapp"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{gw: gw, cfg: acfg}
	r := newRecorder()
	a := e.start(t, r)
	if err := e.signIn(t, a, "petr"); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, connected)
	time.Sleep(300 * time.Millisecond)

	api := a.API()
	list, err := api.Scripts()
	if err != nil || len(list) != 1 || list[0].Name != "revenue_check.py" || list[0].Stem != "revenue_check" {
		t.Fatalf("scripts %+v %v", list, err)
	}
	if err := api.RunScript("revenue_check.py"); err != nil {
		t.Fatal(err)
	}
	n := r.waitNote(t)
	if !strings.Contains(n, "|Revenue drop|Fell 32%\nsince Monday") {
		t.Fatalf("notification %q", n)
	}
	// The chart the script attached, fetched from the webapp with the token.
	id, _, _ := strings.Cut(n, "|")
	if it, _ := a.Store().Get(id); !strings.HasPrefix(it.ImageURL, protocol.PathImagesPrefix) {
		t.Fatalf("image_url %q", it.ImageURL)
	}
	rec := httptest.NewRecorder()
	a.ServeChart(rec, httptest.NewRequest("GET", "/chart/"+id, nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("chart: %d %s", rec.Code, rec.Body)
	}
	if err := api.RunScript("../../etc/passwd"); err == nil {
		t.Fatal("a path was run")
	}

	old := a.session.Token()
	time.Sleep(1100 * time.Millisecond) // a new token differs in iat
	if err := a.session.Refresh(context.Background(), a.client()); err != nil {
		t.Fatal(err)
	}
	if a.session.Token() == old || !a.State().Account.SignedIn {
		t.Fatal("refresh did not replace the token")
	}
}

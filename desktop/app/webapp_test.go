package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

// TestAgainstTheRealWebapp runs the app against the real webapp (webapptest)
// with the real notify-scripts helper running a real Python script: the
// whole chain Run -> webapp -> helper -> script -> gateway -> app -> native
// notification, plus a token refresh and the chart download.
func TestAgainstTheRealWebapp(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3 for the notification script")
	}
	web := webapptest.Start(t, webapptest.Options{})
	gw := web.Gateway
	web.Script(t, "petr", "revenue_check.py", `import base64, json, os, tempfile
p = os.path.join(tempfile.mkdtemp(), "chart.png")
open(p, "wb").write(base64.b64decode("`+"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"+`"))
print(json.dumps({"notify": True, "title": "Revenue drop", "message": "Fell 32%\nsince Monday", "image_path": p, "cooldown": "1m"}))
`)

	e := &env{gw: gw, web: web, cfg: appConfig(t, web.URL, gw.WSURL, "test-real-webapp")}
	a, r := e.startSignedIn(t, "petr")
	waitLive(t, a)

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

// A JPEG chart end to end, through the one image contract: a script names
// a JPEG, the real notify-runner publishes it as .jpg and dispatches it to
// the real gateway, the app gets the alert and fetches the chart from the
// real webapp with its token: the same bytes, as image/jpeg.
func TestJPEGChartFromTheRunnerReachesTheApp(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3 for the notification script")
	}
	runner, err := testbin.Build(t.TempDir(), "github.com/keboola/analyst-alerts/webapp/cmd/notify-runner")
	if err != nil {
		t.Fatal(err)
	}
	web := webapptest.Start(t, webapptest.Options{})
	e := &env{gw: web.Gateway, web: web, cfg: appConfig(t, web.URL, web.Gateway.WSURL, "test-jpeg-chart")}
	a, r := e.startSignedIn(t, "petr")

	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for x := 0; x < 64; x++ {
		img.Set(x, 31-x/2, color.RGBA{0x1f, 0x6f, 0xeb, 0xff})
	}
	var chart bytes.Buffer
	if err := jpeg.Encode(&chart, img, nil); err != nil {
		t.Fatal(err)
	}
	chartPath := filepath.Join(t.TempDir(), "weekly.jpg")
	if err := os.WriteFile(chartPath, chart.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	web.Script(t, "petr", "weekly.py", fmt.Sprintf(`import json
print(json.dumps({"notify": True, "title": "Weekly revenue", "message": "See the chart", "image_path": %q}))
`, chartPath))
	cmd := exec.Command(runner)
	cmd.Env = []string{"HOME=" + filepath.Join(web.HomeRoot, "petr"), "NOTIFY_USER=petr", "PATH=" + os.Getenv("PATH"),
		"WS_DISPATCH_SOCKET=" + web.Gateway.Socket, "NOTIFY_BOT_SOCKET=" + filepath.Join(t.TempDir(), "no-bot.sock"),
		"NOTIFICATION_IMAGES_DIR=" + filepath.Join(web.DataDir, "images")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("notify-runner: %v\n%s", err, out)
	}

	n := r.waitNote(t)
	id, _, _ := strings.Cut(n, "|")
	if !strings.Contains(n, "|Weekly revenue|See the chart") {
		t.Fatalf("notification %q", n)
	}
	it, _ := a.Store().Get(id)
	if !strings.HasPrefix(it.ImageURL, protocol.PathImagesPrefix) || !strings.HasSuffix(it.ImageURL, ".jpg") {
		t.Fatalf("image_url %q", it.ImageURL)
	}
	rec := httptest.NewRecorder()
	a.ServeChart(rec, httptest.NewRequest("GET", "/chart/"+id, nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/jpeg" || !bytes.Equal(rec.Body.Bytes(), chart.Bytes()) {
		t.Fatalf("chart: %d %s (%d bytes)", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
}

package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The shipped examples work as they are: copied into a fresh home, they run
// under notify-runner, offline, and the chart arrives as a real PNG.
func TestShippedExamples(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	src := filepath.Join("..", "..", "..", "examples", "notifications")
	if err := os.CopyFS(e.home.ScriptsDir(), os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun()
	if !strings.Contains(out, "failed=0") || !strings.Contains(out, "scripts=2") {
		t.Fatalf("runner output:\n%s", out)
	}
	// revenue_drop.py alerts on some replayed days and not on others.
	dropAlerted := strings.Contains(out, `msg="alert delivered" user=petr script=revenue_drop.py`)
	if !dropAlerted && !strings.Contains(out, `msg="nothing to report" user=petr script=revenue_drop.py`) {
		t.Fatalf("revenue_drop.py neither alerted nor stayed quiet:\n%s", out)
	}

	var photo []byte
	for _, r := range e.bot.Requests() {
		if r.Path == "/send_photo" {
			photo = r.Photo
			if !strings.HasPrefix(r.Caption, "<b>Revenue, 30 days to ") || r.ParseMode != "HTML" {
				t.Fatalf("caption %q", r.Caption)
			}
		}
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(photo))
	if err != nil || cfg.Width != 640 || cfg.Height != 300 {
		t.Fatalf("chart sent to Telegram: %v %+v", err, cfg)
	}
	var chart protocol.NotificationFrame
	want := 1
	if dropAlerted {
		want = 2
	}
	for range want {
		if n := a.next(); n.Script == "revenue_chart" {
			chart = n
		}
	}
	if !strings.HasPrefix(chart.ImageURL, protocol.PathImagesPrefix) {
		t.Fatalf("chart notification %+v", chart)
	}
	served, err := os.ReadFile(filepath.Join(e.images, strings.TrimPrefix(chart.ImageURL, protocol.PathImagesPrefix)))
	if err != nil || !bytes.Equal(served, photo) {
		t.Fatalf("the image the webapp serves differs from the one Telegram got: %v", err)
	}
}

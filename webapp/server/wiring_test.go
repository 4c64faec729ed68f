package server_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/server"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

// Run by hand without DATA_DIR (as root, say), the webapp does not quietly
// make production's /data/notifications: it refuses, naming DATA_DIR. In
// development sign-in it keeps its data in the user's own home.
func TestWireDoesNotCreateTheProductionDataDir(t *testing.T) {
	if _, err := os.Stat(config.ProductionDataDir); err == nil {
		t.Skipf("%s exists on this machine", config.ProductionDataDir)
	}
	secret := "DESKTOP_JWT_SECRET=0123456789abcdef0123456789abcdef"
	cfg, err := config.Load([]string{secret, "HOME=" + t.TempDir(), "OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b", "OIDC_ALLOWED_DOMAINS=k.example"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.Wire(cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "DATA_DIR is not set") {
		t.Fatalf("wire: %v", err)
	}
	if _, err := os.Stat(config.ProductionDataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s was created: %v", config.ProductionDataDir, err)
	}

	home := t.TempDir()
	cfg, err = config.Load([]string{secret, "HOME=" + home, "AUTH_MODE=dev"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Wire(cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(home, ".local", "state", "analyst-alerts", "webapp")); err != nil || !fi.IsDir() {
		t.Fatalf("dev data folder: %v", err)
	}
}

// With LOG_FORMAT=json a duration in the access log is words a person
// reads ("1.2ms"), not slog.Duration's raw nanoseconds.
func TestJSONAccessLogSaysHowLongInWords(t *testing.T) {
	logs := &gatewaytest.LogBuffer{}
	w := webapptest.Start(t, webapptest.Options{Deps: func(d *server.Deps) {
		d.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	resp, err := http.Get(w.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	took := regexp.MustCompile(`^[0-9.]+(ns|µs|ms|s)$`)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var l struct {
				Msg     string
				Request struct {
					Path string
					Took any
				}
			}
			if json.Unmarshal([]byte(line), &l) != nil || l.Msg != "request" || l.Request.Path != "/health" {
				continue
			}
			if s, ok := l.Request.Took.(string); !ok || !took.MatchString(s) {
				t.Fatalf("took %v (%T) in %s", l.Request.Took, l.Request.Took, line)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log line for /health:\n%s", logs.String())
		}
	}
}

func TestTook(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1308815552 * time.Nanosecond: "1.309s",
		12345678 * time.Nanosecond:   "12.35ms",
		850 * time.Microsecond:       "850µs",
		90 * time.Second:             "1m30s",
	} {
		if got := server.Took(d); got != want {
			t.Errorf("Took(%d) = %q, want %q", int64(d), got, want)
		}
	}
}

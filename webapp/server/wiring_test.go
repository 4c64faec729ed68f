package server_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/server"
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

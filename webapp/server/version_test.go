package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

func getVersion(t *testing.T, base, platform string) (int, protocol.DesktopVersion, string) {
	t.Helper()
	resp, err := http.Get(base + protocol.PathDesktopVersion + "?" + protocol.VersionPlatformParam + "=" + platform)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	var v protocol.DesktopVersion
	if resp.StatusCode == http.StatusOK {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
	}
	return resp.StatusCode, v, string(raw)
}

// TestDesktopVersionFromDownloads: with no admin setting, each platform's
// latest version is its newest app package in DOWNLOADS_DIR (compared as
// versions: 0.10.0 is newer than 0.9.1), linked to its download; the
// server's package and other files are not the app's; no sign-in needed.
func TestDesktopVersionFromDownloads(t *testing.T) {
	downloads := t.TempDir()
	for _, n := range []string{
		"analyst-alerts-0.9.1-windows-amd64-setup.exe",
		"analyst-alerts-0.10.0-windows-amd64-setup.exe",
		"analyst-alerts-0.2.0-windows-amd64-setup.exe",
		"analyst-alerts_0.10.0_amd64.deb",
		"analyst-alerts-server_9.9.9_amd64.deb", // the server's, not the app's
		"analyst-alerts-0.3.0-macos-universal.dmg",
		"analyst-alerts-9.0.0-linux.txt", // not a package
		"notes-9.9.9.dmg",
	} {
		if err := os.WriteFile(filepath.Join(downloads, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := webapptest.Start(t, webapptest.Options{Env: []string{config.EnvDownloadsDir + "=" + downloads}})
	for platform, want := range map[string]protocol.DesktopVersion{
		"windows": {Version: "0.10.0", URL: w.URL + "/download/analyst-alerts-0.10.0-windows-amd64-setup.exe"},
		"linux":   {Version: "0.10.0", URL: w.URL + "/download/analyst-alerts_0.10.0_amd64.deb"},
		"darwin":  {Version: "0.3.0", URL: w.URL + "/download/analyst-alerts-0.3.0-macos-universal.dmg"},
	} {
		want.Platform = platform
		code, got, raw := getVersion(t, w.URL, platform)
		if code != http.StatusOK || got != want {
			t.Errorf("%s: %d %s, want %+v", platform, code, raw, want)
		}
	}

	// Bad platform: 400 with the protocol's error body.
	for _, p := range []string{"", "plan9", "windows%00"} {
		code, _, raw := getVersion(t, w.URL, p)
		var e protocol.ErrorResponse
		if code != http.StatusBadRequest || json.Unmarshal([]byte(raw), &e) != nil || e.Error == "" {
			t.Errorf("platform %q: %d %s", p, code, raw)
		}
	}
}

// TestDesktopVersionSetByAdmin: DESKTOP_LATEST_VERSION wins over the
// folder; its link is that version's package when there is one, else the
// dashboard's download list; platforms it does not name still come from
// the folder, and a portal that knows nothing says so with no version.
func TestDesktopVersionSetByAdmin(t *testing.T) {
	downloads := t.TempDir()
	for _, n := range []string{"analyst-alerts-1.0.0-windows-amd64-setup.exe", "analyst-alerts-2.0.0-windows-amd64-setup.exe"} {
		if err := os.WriteFile(filepath.Join(downloads, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := webapptest.Start(t, webapptest.Options{Env: []string{
		config.EnvDownloadsDir + "=" + downloads,
		config.EnvDesktopVersion + "=windows=1.0.0,darwin=1.1.0",
	}})
	for platform, want := range map[string]protocol.DesktopVersion{
		// The admin holds Windows back at 1.0.0 although 2.0.0 is in the folder.
		"windows": {Version: "1.0.0", URL: w.URL + "/download/analyst-alerts-1.0.0-windows-amd64-setup.exe"},
		"darwin":  {Version: "1.1.0", URL: w.URL + "/dashboard"},
		"linux":   {},
	} {
		want.Platform = platform
		if code, got, raw := getVersion(t, w.URL, platform); code != http.StatusOK || got != want {
			t.Errorf("%s: %d %s, want %+v", platform, code, raw, want)
		}
	}
}

func TestDesktopVersionSettingIsChecked(t *testing.T) {
	for _, v := range []string{"1.2", "v1.2.3", "windows=1.2.3,windows=1.2.4", "beos=1.0.0", "windows:1.0.0", "windows=01.0.0"} {
		_, err := config.Load([]string{config.EnvSecret + "=" + strings.Repeat("k", 32), config.EnvAuthMode + "=dev", config.EnvDataDir + "=" + t.TempDir(),
			config.EnvDesktopVersion + "=" + v})
		if err == nil || !strings.Contains(err.Error(), config.EnvDesktopVersion) {
			t.Errorf("%q: %v", v, err)
		}
	}
	c, err := config.Load([]string{config.EnvSecret + "=" + strings.Repeat("k", 32), config.EnvAuthMode + "=dev", config.EnvDataDir + "=" + t.TempDir(),
		config.EnvDesktopVersion + "=1.2.3"})
	if err != nil || len(c.DesktopVersions) != 3 || c.DesktopVersions["darwin"] != "1.2.3" {
		t.Errorf("%v %v", c.DesktopVersions, err)
	}
}

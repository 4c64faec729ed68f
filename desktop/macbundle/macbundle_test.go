package macbundle_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/keboola/analyst-alerts/desktop/config"
	"github.com/keboola/analyst-alerts/desktop/macbundle"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The repository's root, from this file's place in it.
func root(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// The Info.plist a Mac build would put in the bundle: rendered from
// build/darwin/Info.plist with wails.json as Wails does, then every key the
// app relies on.
func TestInfoPlist(t *testing.T) {
	p, err := macbundle.LoadProject(root(t))
	if err != nil {
		t.Fatal(err)
	}
	info, err := macbundle.RenderInfoPlist(root(t), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		want any
		why  string
	}{
		// UNUserNotificationCenter, the Keychain and the single-instance
		// lock know the app by it.
		{"CFBundleIdentifier", config.AppID, "desktop/config.AppID"},
		{"CFBundleExecutable", p.OutputFilename, "wails.json outputfilename"},
		{"CFBundleName", p.Info.ProductName, "wails.json info.productName"},
		{"CFBundleShortVersionString", p.Info.ProductVersion, "wails.json info.productVersion"},
		{"CFBundleVersion", p.Info.ProductVersion, "wails.json info.productVersion"},
		{"LSUIElement", true, "a menu-bar app has no Dock icon"},
		{"LSMinimumSystemVersion", "14.0", "the oldest macOS supported"},
		// Alerts stay on screen until the analyst acts (banners slide
		// away); the user can still change it in System Settings.
		{"NSUserNotificationAlertStyle", "alert", "how the app's notifications show"},
	} {
		if got := info[c.key]; got != c.want {
			t.Errorf("Info.plist %s = %#v, want %#v (%s)", c.key, got, c.want, c.why)
		}
	}

	// The deep link: the webapp's default DESKTOP_URL_SCHEME, declared in
	// wails.json and rendered into CFBundleURLTypes.
	if len(p.Info.Protocols) != 1 || p.Info.Protocols[0].Scheme != protocol.DefaultURLScheme {
		t.Errorf("wails.json protocols %+v, want the one scheme %q", p.Info.Protocols, protocol.DefaultURLScheme)
	}
	if got := urlSchemes(info); len(got) != 1 || got[0] != protocol.DefaultURLScheme {
		t.Errorf("Info.plist CFBundleURLTypes schemes %q, want [%q]", got, protocol.DefaultURLScheme)
	}
}

func urlSchemes(info map[string]any) []string {
	var schemes []string
	types, _ := info["CFBundleURLTypes"].([]any)
	for _, typ := range types {
		d, _ := typ.(map[string]any)
		list, _ := d["CFBundleURLSchemes"].([]any)
		for _, s := range list {
			str, _ := s.(string)
			schemes = append(schemes, str)
		}
	}
	return schemes
}

// The hardened runtime's entitlements: the app connects out and WKWebView's
// JavaScript needs JIT; no sandbox (the Terminal hand-off could not work in
// one).
func TestEntitlements(t *testing.T) {
	ent, err := macbundle.ReadEntitlements(root(t))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"com.apple.security.network.client": true,
		"com.apple.security.cs.allow-jit":   true,
	} {
		if got := ent[key]; got != want {
			t.Errorf("entitlements %s = %#v, want %#v", key, got, want)
		}
	}
	if sandbox, ok := ent["com.apple.security.app-sandbox"]; ok && sandbox != false {
		t.Errorf("entitlements turn the App Sandbox on (%v)", sandbox)
	}
}

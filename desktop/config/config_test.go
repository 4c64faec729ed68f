package config

import (
	"log/slog"
	"runtime"
	"strings"
	"testing"
)

func TestDefaultsAndOverrides(t *testing.T) {
	c, err := FromEnviron([]string{"HOME=/home/u", "XDG_CONFIG_HOME=/cfg"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Scheme != "keboola-analyst" || c.ClaudeCommand != "claude" || c.ServerURL != "" || c.LogLevel != slog.LevelInfo || c.LogStderr {
		t.Fatalf("defaults: %+v", c)
	}
	if runtime.GOOS == "linux" && (c.ConfigDir != "/cfg/"+AppID || c.CacheDir != "/home/u/.cache/"+AppID) {
		t.Fatalf("folders: %+v", c)
	}
	c, err = FromEnviron([]string{"HOME=/h", EnvServerURL + "=https://a.example/base/", EnvWSURL + "=ws://127.0.0.1:9/",
		EnvLogLevel + "=debug", "TERMINAL=xterm", EnvClaudeCommand + "=my-claude", EnvLogStderr + "=1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerURL != "https://a.example/base" || c.WSURL != "ws://127.0.0.1:9/" || c.LogLevel != slog.LevelDebug ||
		c.Terminal != "xterm" || c.ClaudeCommand != "my-claude" || !c.LogStderr {
		t.Fatalf("overrides: %+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for _, kv := range []string{EnvServerURL + "=ftp://x", EnvWSURL + "=https://x", EnvLogLevel + "=loud"} {
		_, err := FromEnviron([]string{"HOME=/h", kv})
		name, _, _ := strings.Cut(kv, "=")
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v does not name the variable", kv, err)
		}
	}
}

func TestServerURLAndDerivedWSURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://analyst.example.com":       "wss://analyst.example.com/ws/notifications",
		"https://analyst.example.com/":      "wss://analyst.example.com/ws/notifications",
		"http://127.0.0.1:8080/portal":      "ws://127.0.0.1:8080/portal/ws/notifications",
		" https://analyst.example.com:8443": "wss://analyst.example.com:8443/ws/notifications",
	} {
		got, err := WSURLFor(in)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "analyst.example.com", "javascript:alert(1)", "https://u:p@h", "https://h/?q=1", "https://h/#f", "file:///etc"} {
		if _, err := ServerURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

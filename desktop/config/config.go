// Package config is every setting of the desktop app that comes from the
// environment, listed in one place, parsed from a NAME=value list so the
// parser is testable. Errors name the variable at fault.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strings"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/envmap"
	"github.com/keboola/analyst-alerts/internal/logsetup"
)

// AppID names the app to the OS: bundle id, keychain service, folder names,
// log subsystem.
const AppID = "com.keboola.analyst"

// The environment the app reads. Anything else comes from the saved settings.
const (
	EnvServerURL     = "ANALYST_SERVER_URL"     // the webapp, e.g. https://analyst.example.com
	EnvWSURL         = "ANALYST_WS_URL"         // the gateway; default <server>/ws/notifications with ws(s)
	EnvURLScheme     = "ANALYST_URL_SCHEME"     // the sign-in link scheme; default keboola-analyst
	EnvTerminal      = "ANALYST_TERMINAL"       // terminal for "Open in Claude Code"; Linux also reads TERMINAL
	EnvClaudeCommand = "ANALYST_CLAUDE_COMMAND" // the command run in it; default claude
	EnvLogLevel      = "ANALYST_LOG_LEVEL"      // debug, info (default), warn, error
	EnvKeyringName   = "ANALYST_KEYRING_SERVICE"
	EnvLogStderr     = "ANALYST_LOG_STDERR" // 1: also log to stderr
)

// WSPath is where nginx exposes the gateway on the server's host.
const WSPath = "/ws/notifications"

// Config is the parsed environment.
type Config struct {
	ServerURL      string // empty: use the saved setting
	WSURL          string // empty: derive from the server URL
	Scheme         string
	Terminal       string
	ClaudeCommand  string
	LogLevel       slog.Level
	LogStderr      bool // also log to stderr (development, tests)
	KeyringService string
	ConfigDir      string // settings, notifications
	CacheDir       string // chart images
	LogDir         string
}

// FromEnviron parses env (as os.Environ returns it).
func FromEnviron(env []string) (Config, error) {
	m := envmap.Parse(env)
	get := func(k string) string { return strings.TrimSpace(m[k]) }
	c := Config{
		Scheme:         protocol.DefaultURLScheme,
		ClaudeCommand:  "claude",
		KeyringService: AppID,
		Terminal:       get(EnvTerminal),
		LogStderr:      get(EnvLogStderr) == "1",
	}
	if c.Terminal == "" {
		c.Terminal = get("TERMINAL")
	}
	if v := get(EnvServerURL); v != "" {
		s, err := ServerURL(v)
		if err != nil {
			return c, fmt.Errorf("%s: %w", EnvServerURL, err)
		}
		c.ServerURL = s
	}
	if v := get(EnvWSURL); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return c, fmt.Errorf("%s: want a ws:// or wss:// URL, got %q", EnvWSURL, v)
		}
		c.WSURL = v
	}
	if v := get(EnvURLScheme); v != "" {
		c.Scheme = v
	}
	if v := get(EnvClaudeCommand); v != "" {
		c.ClaudeCommand = v
	}
	if v := get(EnvKeyringName); v != "" {
		c.KeyringService = v
	}
	if v := get(EnvLogLevel); v != "" {
		var err error
		if c.LogLevel, err = logsetup.ParseLevel(v); err != nil {
			return c, fmt.Errorf("%s: %w", EnvLogLevel, err)
		}
	}
	d, err := folders(get)
	if err != nil {
		return c, err
	}
	c.ConfigDir, c.CacheDir, c.LogDir = d.config, d.cache, d.log
	return c, nil
}

type dirs struct{ config, cache, log string }

// ServerURL checks and normalises a server address typed by a person or set
// in the environment: http(s), a host, no credentials, query or fragment;
// the trailing slash dropped.
func ServerURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL: %q", raw)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("the server address must start with https:// (got %q)", raw)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("the server address must be just https://host[/path] (got %q)", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// WSURLFor derives the gateway's address from the server's, as nginx
// exposes it: https://host/base -> wss://host/base/ws/notifications.
func WSURLFor(server string) (string, error) {
	s, err := ServerURL(server)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(s)
	u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	u.Path = path.Join("/", u.Path, WSPath)
	return u.String(), nil
}

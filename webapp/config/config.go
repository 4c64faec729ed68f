// Package config reads the webapp's settings from the environment. Every
// variable the webapp reads is listed here, with its default, and nowhere
// else; docs/webapp.md has the same table. Load takes the environment as a
// list of NAME=value so tests need not touch the process environment, and
// every error names the variable at fault.
package config

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/envmap"
	"github.com/keboola/analyst-alerts/internal/logsetup"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/scripts"
)

// The variables.
const (
	EnvAddr            = "WEBAPP_ADDR"
	EnvPublicURL       = "WEBAPP_PUBLIC_URL"
	EnvTrustedProxies  = "WEBAPP_TRUSTED_PROXIES"
	EnvDataDir         = "DATA_DIR"
	EnvDownloadsDir    = "DOWNLOADS_DIR"
	EnvDesktopVersion  = "DESKTOP_LATEST_VERSION" // x.y.z, or darwin=x.y.z,windows=...,linux=...
	EnvSecret          = "DESKTOP_JWT_SECRET"
	EnvIssuer          = "DESKTOP_JWT_ISSUER"
	EnvScheme          = "DESKTOP_URL_SCHEME"
	EnvSocket          = "WS_DISPATCH_SOCKET"
	EnvBotSocket       = "NOTIFY_BOT_SOCKET" // the Telegram bot (linking, its @name)
	EnvAuthMode        = "AUTH_MODE"
	EnvDevAllowRemote  = "WEBAPP_DEV_ALLOW_REMOTE"
	EnvDevUser         = "WEBAPP_DEV_USER"
	EnvSessionKey      = "WEBAPP_SESSION_KEY"
	EnvSessionMaxAge   = "WEBAPP_SESSION_MAX_AGE"
	EnvOIDCIssuer      = "OIDC_ISSUER"
	EnvOIDCClientID    = "OIDC_CLIENT_ID"
	EnvOIDCSecret      = "OIDC_CLIENT_SECRET"
	EnvOIDCRedirect    = "OIDC_REDIRECT_URL"
	EnvAllowedDomains  = "OIDC_ALLOWED_DOMAINS"
	EnvAllowedEmails   = "OIDC_ALLOWED_EMAILS"
	EnvPrimaryDomain   = "WEBAPP_PRIMARY_DOMAIN"
	EnvUsernameMap     = "OIDC_USERNAME_MAP"
	EnvAllowUnverified = "OIDC_ALLOW_UNVERIFIED_EMAIL"
	EnvHelper          = "NOTIFY_SCRIPTS_HELPER"
	EnvHelperRunAs     = "NOTIFY_SCRIPTS_RUN_AS"
	EnvHelperHomeRoot  = "NOTIFY_SCRIPTS_HOME_ROOT"
	EnvLogLevel        = "LOG_LEVEL"
	EnvLogFormat       = "LOG_FORMAT"
)

// Sign-in modes.
const (
	AuthOIDC = "oidc"
	AuthDev  = "dev"
)

// How the notify-scripts helper is started.
const (
	RunAsSudo   = "sudo"   // sudo -n -u USER HELPER ... (production)
	RunAsDirect = "direct" // HELPER ... with HOME=<home root>/USER (development)
)

// Config is every setting of the webapp.
type Config struct {
	Addr           string
	PublicURL      string // scheme://host[:port] the browser sees; "" means http://Addr
	TrustedProxies []string
	DataDir        string
	// DataDirDefault says DATA_DIR was not set and DataDir is the default
	// (production's /data/notifications, or in AUTH_MODE=dev a folder in the
	// user's own home): the webapp does not create a production folder
	// nobody asked for.
	DataDirDefault bool
	DownloadsDir   string
	// DesktopVersions is the admin's word on the latest app per platform
	// (DESKTOP_LATEST_VERSION); a platform not in it is read from the
	// packages in DownloadsDir.
	DesktopVersions map[string]string

	Secret    []byte
	Issuer    string
	URLScheme string
	Socket    string
	BotSocket string

	AuthMode       string
	DevAllowRemote bool
	// DevUser is the local user the development sign-in form offers
	// (AUTH_MODE=dev): WEBAPP_DEV_USER, which `make run` sets to the user it
	// installed the examples for, else the environment's USER.
	DevUser       string
	SessionKey    []byte // 64 bytes: 32 to sign, 32 to encrypt; derived from Secret if unset
	SessionMaxAge time.Duration

	OIDCIssuer     string
	OIDCClientID   string
	OIDCSecret     string
	OIDCRedirect   string
	AllowedDomains []string
	AllowedEmails  []string
	// PrimaryDomain is the one email domain whose addresses sign in as
	// their local part; any other address needs a UsernameMap entry, so
	// petr@a and petr@b can never both become the Unix user petr.
	PrimaryDomain   string
	UsernameMap     string
	AllowUnverified bool

	Helper         string
	HelperRunAs    string
	HelperHomeRoot string
	// HelperEnv is what the helper is given of this environment in direct
	// mode (NAME=value): PATH and scripts.PassedEnv, those that are set.
	HelperEnv []string

	LogLevel  slog.Level
	LogFormat string
}

// Load reads the configuration from environ (os.Environ() form).
func Load(environ []string) (Config, error) {
	env := envmap.Parse(environ)
	get := env.Get
	c := Config{
		Addr:           get(EnvAddr, "127.0.0.1:8080"),
		PublicURL:      strings.TrimRight(get(EnvPublicURL, ""), "/"),
		TrustedProxies: list(get(EnvTrustedProxies, "")),
		DataDir:        get(EnvDataDir, ""),
		Issuer:         get(EnvIssuer, protocol.DefaultIssuer),
		URLScheme:      get(EnvScheme, protocol.DefaultURLScheme),
		Socket:         get(EnvSocket, protocol.DefaultDispatchSocket),
		BotSocket:      get(EnvBotSocket, botclient.DefaultSocket),
		AuthMode:       strings.ToLower(get(EnvAuthMode, AuthOIDC)),
		OIDCIssuer:     get(EnvOIDCIssuer, "https://accounts.google.com"),
		OIDCClientID:   get(EnvOIDCClientID, ""),
		OIDCSecret:     get(EnvOIDCSecret, ""),
		OIDCRedirect:   get(EnvOIDCRedirect, ""),
		AllowedDomains: lowerList(get(EnvAllowedDomains, "")),
		AllowedEmails:  lowerList(get(EnvAllowedEmails, "")),
		PrimaryDomain:  strings.ToLower(strings.TrimPrefix(get(EnvPrimaryDomain, ""), "@")),
		UsernameMap:    get(EnvUsernameMap, ""),
		Helper:         get(EnvHelper, "/usr/local/bin/notify-scripts"),
	}
	c.HelperEnv = scripts.HelperEnv(env)
	if c.AuthMode == AuthDev {
		c.DevUser = get(EnvDevUser, get("USER", ""))
	}
	if c.DataDir == "" {
		c.DataDir, c.DataDirDefault = defaultDataDir(c.AuthMode, get), true
	}
	c.DownloadsDir = get(EnvDownloadsDir, filepath.Join(c.DataDir, "downloads"))
	c.HelperHomeRoot = get(EnvHelperHomeRoot, filepath.Join(c.DataDir, "dev-home"))
	if dv, err := desktopVersions(get(EnvDesktopVersion, "")); err != nil {
		return c, fmt.Errorf("%s: %w", EnvDesktopVersion, err)
	} else {
		c.DesktopVersions = dv
	}

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("%s: %q is not host:port: %v", EnvAddr, c.Addr, err)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("%s: %q is not an http(s) URL", EnvPublicURL, c.PublicURL)
	}
	c.Secret = []byte(env[EnvSecret])
	if len(c.Secret) == 0 {
		return c, fmt.Errorf("%s is required (the secret shared with ws-gateway)", EnvSecret)
	}
	if err := protocol.CheckSecret(c.Secret); err != nil {
		return c, fmt.Errorf("%s: %w", EnvSecret, err)
	}
	if !validScheme(c.URLScheme) {
		return c, fmt.Errorf("%s: %q is not a URL scheme", EnvScheme, c.URLScheme)
	}

	switch c.AuthMode {
	case AuthOIDC:
		if c.OIDCClientID == "" || c.OIDCSecret == "" {
			return c, fmt.Errorf("%s and %s are required when %s=oidc (or set %s=dev for local development)",
				EnvOIDCClientID, EnvOIDCSecret, EnvAuthMode, EnvAuthMode)
		}
		if len(c.AllowedDomains) == 0 && len(c.AllowedEmails) == 0 {
			return c, fmt.Errorf("%s or %s must name who may sign in", EnvAllowedDomains, EnvAllowedEmails)
		}
		if c.OIDCRedirect == "" {
			c.OIDCRedirect = c.PublicURL + "/auth/callback"
		}
	case AuthDev:
	default:
		return c, fmt.Errorf("%s: %q is neither %q nor %q", EnvAuthMode, c.AuthMode, AuthOIDC, AuthDev)
	}
	if err := c.checkPrimaryDomain(); err != nil {
		return c, err
	}
	var err error
	if c.AllowUnverified, err = boolVar(EnvAllowUnverified, get(EnvAllowUnverified, "false")); err != nil {
		return c, err
	}
	if c.DevAllowRemote, err = boolVar(EnvDevAllowRemote, get(EnvDevAllowRemote, "false")); err != nil {
		return c, err
	}
	if c.AuthMode == AuthDev && !c.DevAllowRemote && !loopback(c.Addr) {
		return c, fmt.Errorf("%s=dev lets anyone sign in as anyone: refusing to listen on %s, which is not a loopback address (set %s=true to force)",
			EnvAuthMode, c.Addr, EnvDevAllowRemote)
	}

	def := RunAsSudo
	if c.AuthMode == AuthDev {
		def = RunAsDirect
	}
	c.HelperRunAs = strings.ToLower(get(EnvHelperRunAs, def))
	if c.HelperRunAs != RunAsSudo && c.HelperRunAs != RunAsDirect {
		return c, fmt.Errorf("%s: %q is neither %q nor %q", EnvHelperRunAs, c.HelperRunAs, RunAsSudo, RunAsDirect)
	}

	if k := get(EnvSessionKey, ""); k != "" {
		b, err := hex.DecodeString(k)
		if err != nil || len(b) != 64 {
			return c, fmt.Errorf("%s must be 64 bytes in hex (128 hex digits)", EnvSessionKey)
		}
		c.SessionKey = b
	}
	if c.SessionMaxAge, err = time.ParseDuration(get(EnvSessionMaxAge, "12h")); err != nil || c.SessionMaxAge <= 0 {
		return c, fmt.Errorf("%s: %q is not a positive duration (e.g. 12h)", EnvSessionMaxAge, get(EnvSessionMaxAge, ""))
	}
	if c.LogLevel, err = logsetup.ParseLevel(get(EnvLogLevel, "info")); err != nil {
		return c, fmt.Errorf("%s: %w", EnvLogLevel, err)
	}
	if c.LogFormat, err = logsetup.ParseFormat(get(EnvLogFormat, logsetup.Text)); err != nil {
		return c, fmt.Errorf("%s: %w", EnvLogFormat, err)
	}
	if c.DataDir == "" {
		return c, fmt.Errorf("%s is not set and there is no HOME to keep the data in: set %s", EnvDataDir, EnvDataDir)
	}
	return c, nil
}

// ProductionDataDir is DATA_DIR's default in production (AUTH_MODE=oidc),
// where deploy/ creates it for the webapp's service user.
const ProductionDataDir = "/data/notifications"

// defaultDataDir is where the webapp keeps its data when DATA_DIR is unset:
// production's folder, or for development sign-in (someone trying the
// webapp by hand, perhaps as root) a folder in that user's own home,
// $XDG_STATE_HOME/analyst-alerts/webapp (~/.local/state/...), rather than
// a system folder at the root of the disk.
func defaultDataDir(authMode string, get func(name, def string) string) string {
	if authMode != AuthDev {
		return ProductionDataDir
	}
	if st := get("XDG_STATE_HOME", ""); filepath.IsAbs(st) {
		return filepath.Join(st, "analyst-alerts", "webapp")
	}
	if home := get("HOME", ""); filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "analyst-alerts", "webapp")
	}
	return ""
}

// DevEmail is the address the development sign-in form starts with: the
// local user at the primary domain (example.com if none).
func (c Config) DevEmail() string {
	if c.DevUser == "" {
		return ""
	}
	domain := c.PrimaryDomain
	if domain == "" {
		domain = "example.com"
	}
	return c.DevUser + "@" + domain
}

// checkPrimaryDomain settles which allowed domain's addresses become
// usernames by their local part: WEBAPP_PRIMARY_DOMAIN, or the only allowed
// domain. With several allowed domains and none named it refuses to start,
// rather than let two people with the same local part share a Unix user.
func (c *Config) checkPrimaryDomain() error {
	switch {
	case c.PrimaryDomain != "" && len(c.AllowedDomains) > 0 && !slices.Contains(c.AllowedDomains, c.PrimaryDomain):
		return fmt.Errorf("%s: %q is not one of %s (%s)", EnvPrimaryDomain, c.PrimaryDomain,
			EnvAllowedDomains, strings.Join(c.AllowedDomains, ", "))
	case c.PrimaryDomain == "" && len(c.AllowedDomains) == 1:
		c.PrimaryDomain = c.AllowedDomains[0]
	case c.PrimaryDomain == "" && len(c.AllowedDomains) > 1:
		return fmt.Errorf("%s names several domains (%s): set %s to the one whose addresses sign in as their local part "+
			"(petr@%s becomes petr); addresses at the others then sign in only through an entry in %s",
			EnvAllowedDomains, strings.Join(c.AllowedDomains, ", "), EnvPrimaryDomain, c.AllowedDomains[0], EnvUsernameMap)
	}
	return nil
}

// SecureCookies reports whether cookies get the Secure flag: the public URL
// is https (TLS ends at the proxy in front of us).
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lowerList(s string) []string {
	out := list(s)
	for i := range out {
		out[i] = strings.ToLower(strings.TrimPrefix(out[i], "@"))
	}
	return out
}

func boolVar(name, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", name, v)
	}
	return b, nil
}

func loopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// VersionRE is a release version as the portal and the app compare them.
var VersionRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$`)

// desktopVersions reads DESKTOP_LATEST_VERSION: "x.y.z" for every platform,
// or "platform=x.y.z,..." for some.
func desktopVersions(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	out := map[string]string{}
	if VersionRE.MatchString(v) {
		for _, p := range protocol.DesktopPlatforms {
			out[p] = v
		}
		return out, nil
	}
	for _, part := range strings.Split(v, ",") {
		p, ver, ok := strings.Cut(strings.TrimSpace(part), "=")
		p, ver = strings.TrimSpace(p), strings.TrimSpace(ver)
		switch {
		case !ok:
			return nil, fmt.Errorf("%q is neither x.y.z nor platform=x.y.z", part)
		case !slices.Contains(protocol.DesktopPlatforms, p):
			return nil, fmt.Errorf("%q is not one of %s", p, strings.Join(protocol.DesktopPlatforms, ", "))
		case !VersionRE.MatchString(ver):
			return nil, fmt.Errorf("%s: %q is not a version x.y.z", p, ver)
		case out[p] != "":
			return nil, fmt.Errorf("%s is given twice", p)
		}
		out[p] = ver
	}
	return out, nil
}

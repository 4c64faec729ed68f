package config

import (
	"strings"
	"testing"
)

const secret = "DESKTOP_JWT_SECRET=0123456789abcdef0123456789abcdef"

func TestDefaultsInDevMode(t *testing.T) {
	c, err := Load([]string{secret, "AUTH_MODE=dev", "HOME=/home/petr", "USER=petr"})
	if err != nil {
		t.Fatal(err)
	}
	// Development sign-in by hand keeps its data in the user's home, not
	// in a system folder, and offers the local user.
	if c.DataDir != "/home/petr/.local/state/analyst-alerts/webapp" || !c.DataDirDefault || c.DevEmail() != "petr@example.com" {
		t.Fatalf("data %q (default %v), dev email %q", c.DataDir, c.DataDirDefault, c.DevEmail())
	}
	if c.Addr != "127.0.0.1:8080" || c.Issuer != "data-analyst" || c.URLScheme != "keboola-analyst" ||
		c.Socket != "/run/ws-gateway/ws.sock" || c.HelperRunAs != RunAsDirect || c.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("%+v", c)
	}
	if c.SecureCookies() {
		t.Fatal("secure cookies on plain http")
	}
}

// Where the data goes when DATA_DIR is unset, and who the development
// sign-in form offers: WEBAPP_DEV_USER (what `make run` sets) over USER.
func TestDataDirAndDevUser(t *testing.T) {
	for _, c := range []struct {
		env       []string
		data, dev string
	}{
		{[]string{"AUTH_MODE=dev", "HOME=/root", "USER=root"}, "/root/.local/state/analyst-alerts/webapp", "root@example.com"},
		{[]string{"AUTH_MODE=dev", "HOME=/root", "XDG_STATE_HOME=/var/lib/me"}, "/var/lib/me/analyst-alerts/webapp", ""},
		{[]string{"AUTH_MODE=dev", "HOME=/home/u", "XDG_STATE_HOME=relative"}, "/home/u/.local/state/analyst-alerts/webapp", ""},
		{[]string{"AUTH_MODE=dev", "DATA_DIR=/srv/alerts", "USER=root", "WEBAPP_DEV_USER=petr"}, "/srv/alerts", "petr@example.com"},
		{[]string{"AUTH_MODE=dev", "DATA_DIR=/d", "USER=petr", "WEBAPP_PRIMARY_DOMAIN=keboola.com"}, "/d", "petr@keboola.com"},
		{[]string{"OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b", "OIDC_ALLOWED_DOMAINS=k.example", "HOME=/root", "USER=root"}, ProductionDataDir, ""},
	} {
		cfg, err := Load(append([]string{secret}, c.env...))
		if err != nil {
			t.Errorf("%v: %v", c.env, err)
			continue
		}
		if cfg.DataDir != c.data || cfg.DevEmail() != c.dev || cfg.DataDirDefault == strings.Contains(strings.Join(c.env, " "), "DATA_DIR=") {
			t.Errorf("%v: data %q (default %v), dev email %q; want %q, %q", c.env, cfg.DataDir, cfg.DataDirDefault, cfg.DevEmail(), c.data, c.dev)
		}
	}
	if _, err := Load([]string{secret, "AUTH_MODE=dev"}); err == nil || !strings.Contains(err.Error(), "DATA_DIR is not set") {
		t.Errorf("no HOME, no DATA_DIR: %v", err)
	}
}

// What the helper is given in direct mode is chosen here, from environ:
// PATH and the helper's own settings, nothing else.
func TestHelperEnv(t *testing.T) {
	c, err := Load([]string{secret, "AUTH_MODE=dev", "DATA_DIR=/d", "PATH=/opt/bin:/usr/bin", "NOTIFY_MAX_IMAGE_BYTES=1000", "OTHER=x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.HelperEnv, " "); got != "PATH=/opt/bin:/usr/bin NOTIFY_MAX_IMAGE_BYTES=1000" {
		t.Fatalf("HelperEnv = %q", got)
	}
}

func TestRefusals(t *testing.T) {
	cases := map[string][]string{
		"DESKTOP_JWT_SECRET is required":    {"AUTH_MODE=dev"},
		"at least 32 bytes":                 {"DESKTOP_JWT_SECRET=short", "AUTH_MODE=dev"},
		"not a loopback address":            {secret, "AUTH_MODE=dev", "WEBAPP_ADDR=0.0.0.0:8080"},
		"OIDC_CLIENT_ID and":                {secret},
		"must name who may sign in":         {secret, "OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b"},
		"AUTH_MODE: \"saml\"":               {secret, "AUTH_MODE=saml"},
		"WEBAPP_ADDR":                       {secret, "AUTH_MODE=dev", "WEBAPP_ADDR=nope"},
		"DESKTOP_URL_SCHEME":                {secret, "AUTH_MODE=dev", "DESKTOP_URL_SCHEME=1bad"},
		"NOTIFY_SCRIPTS_RUN_AS":             {secret, "AUTH_MODE=dev", "NOTIFY_SCRIPTS_RUN_AS=root"},
		"WEBAPP_SESSION_KEY must be 64":     {secret, "AUTH_MODE=dev", "WEBAPP_SESSION_KEY=abcd"},
		"WEBAPP_DEV_ALLOW_REMOTE: \"yes!\"": {secret, "AUTH_MODE=dev", "WEBAPP_DEV_ALLOW_REMOTE=yes!"},
		// Two allowed domains would map petr@a and petr@b to one Unix user.
		"OIDC_ALLOWED_DOMAINS names several domains (a.example, b.example): set WEBAPP_PRIMARY_DOMAIN": {secret,
			"OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b", "OIDC_ALLOWED_DOMAINS=a.example,b.example"},
		"WEBAPP_PRIMARY_DOMAIN: \"c.example\" is not one of OIDC_ALLOWED_DOMAINS": {secret,
			"OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b", "OIDC_ALLOWED_DOMAINS=a.example,b.example", "WEBAPP_PRIMARY_DOMAIN=c.example"},
		"several domains (a.example, b.example)": {secret, "AUTH_MODE=dev", "OIDC_ALLOWED_DOMAINS=a.example,b.example"},
	}
	for want, env := range cases {
		_, err := Load(env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want it to mention %q", env, err, want)
		}
	}
}

func TestOIDCAndForcedRemoteDev(t *testing.T) {
	c, err := Load([]string{secret, "OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b", "OIDC_ALLOWED_DOMAINS=@Keboola.com, example.org",
		"WEBAPP_PUBLIC_URL=https://alerts.example.com/", "WEBAPP_PRIMARY_DOMAIN=@keboola.com"})
	if err != nil {
		t.Fatal(err)
	}
	if c.PrimaryDomain != "keboola.com" {
		t.Fatalf("primary domain %q", c.PrimaryDomain)
	}
	if c.OIDCRedirect != "https://alerts.example.com/auth/callback" || !c.SecureCookies() ||
		strings.Join(c.AllowedDomains, ",") != "keboola.com,example.org" || c.HelperRunAs != RunAsSudo {
		t.Fatalf("%+v", c)
	}
	if _, err := Load([]string{secret, "AUTH_MODE=dev", "HOME=/root", "WEBAPP_ADDR=0.0.0.0:8080", "WEBAPP_DEV_ALLOW_REMOTE=true"}); err != nil {
		t.Fatal(err)
	}
}

// One allowed domain is the primary one without saying so (existing
// configurations keep working); with only single addresses there is none.
func TestPrimaryDomainDefaults(t *testing.T) {
	c, err := Load([]string{secret, "OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b", "OIDC_ALLOWED_DOMAINS=Keboola.com"})
	if err != nil || c.PrimaryDomain != "keboola.com" {
		t.Fatalf("one domain: %q %v", c.PrimaryDomain, err)
	}
	c, err = Load([]string{secret, "OIDC_CLIENT_ID=a", "OIDC_CLIENT_SECRET=b", "OIDC_ALLOWED_EMAILS=a@x.example"})
	if err != nil || c.PrimaryDomain != "" {
		t.Fatalf("emails only: %q %v", c.PrimaryDomain, err)
	}
}

package signin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsername(t *testing.T) {
	r := Rules{Domains: []string{"keboola.com"}, Emails: []string{"guest@gmail.com"},
		Map: map[string]string{"petr.novak@keboola.com": "petr"}}
	ok := map[string]string{
		"Jane.Doe@Keboola.com":   "jane.doe",
		"petr.novak@keboola.com": "petr",
	}
	for email, want := range ok {
		if got, err := r.Username(email); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", email, got, err, want)
		}
	}
	refused := map[string]string{
		"x@evil.com":          "not allowed",
		"x@keboola.com.evil":  "not allowed",
		"x@sub.keboola.com":   "not allowed",
		"no-at-sign":          "not an email",
		"a@b@keboola.com":     "not an email",
		"-rf@keboola.com":     "cannot be used as a username",
		"../x@keboola.com":    "cannot be used as a username",
		"Ünicode@keboola.com": "cannot be used as a username",
		// Listed, but outside the primary domain: guest@keboola.com is
		// someone else, so guest@gmail.com needs a mapping.
		"guest@gmail.com": "ask an admin to map guest@gmail.com to a username (OIDC_USERNAME_MAP)",
	}
	for email, want := range refused {
		if _, err := r.Username(email); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", email, err, want)
		}
	}
}

// Two allowed domains: petr@a and petr@b must not both become the Unix user
// petr. Only the primary domain's addresses sign in under their own name;
// the other's only through the username map.
func TestUsernameOutsidePrimaryDomainNeedsMapping(t *testing.T) {
	r := Rules{Domains: []string{"a.example", "b.example"}, Primary: "a.example",
		Map: map[string]string{"petr@b.example": "petr_b"}}
	for email, want := range map[string]string{"petr@a.example": "petr", "petr@b.example": "petr_b", "jana@a.example": "jana"} {
		if got, err := r.Username(email); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", email, got, err, want)
		}
	}
	if u, err := r.Username("jana@b.example"); err == nil || !strings.Contains(err.Error(), "only addresses at @a.example") {
		t.Fatalf("jana@b.example without a mapping: %q %v", u, err)
	}
	// Rules built without a primary domain for several domains refuse
	// every unmapped address rather than guess.
	r.Primary = ""
	if u, err := r.Username("petr@a.example"); err == nil {
		t.Fatalf("no primary domain: petr@a.example signed in as %q", u)
	}
	// Development sign-in with no list admits anyone as their local part.
	if u, err := (Rules{AllowAny: true}).Username("dev@anywhere.example"); err != nil || u != "dev" {
		t.Fatalf("dev: %q %v", u, err)
	}
}

func TestRulesCheck(t *testing.T) {
	ok := []Rules{
		{Domains: []string{"a.example"}},
		{Domains: []string{"a.example", "b.example"}, Primary: "b.example"},
		{Emails: []string{"petr@a.example", "jana@b.example"}},
		{Emails: []string{"petr@a.example", "petr@b.example"}, Map: map[string]string{"petr@b.example": "petr_b"}},
		{Domains: []string{"a.example"}, Emails: []string{"petr@b.example"}}, // petr@b needs a mapping to sign in
	}
	for _, r := range ok {
		if err := r.Check(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	refused := map[string]Rules{
		"OIDC_ALLOWED_DOMAINS names several domains (a.example, b.example): set WEBAPP_PRIMARY_DOMAIN": {
			Domains: []string{"a.example", "b.example"}},
		`WEBAPP_PRIMARY_DOMAIN: "c.example" is not one of OIDC_ALLOWED_DOMAINS`: {
			Domains: []string{"a.example", "b.example"}, Primary: "c.example"},
		`OIDC_ALLOWED_EMAILS lists petr@a.example and petr@b.example, which would both sign in as "petr": map at least one of them in OIDC_USERNAME_MAP`: {
			Emails: []string{"petr@a.example", "petr@b.example"}},
	}
	for want, r := range refused {
		if err := r.Check(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", r, err, want)
		}
	}
}

func TestUsernameMapFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "map.json")
	os.WriteFile(p, []byte(`{"Boss@Keboola.com":"petr"}`), 0o600)
	m, err := LoadUsernameMap(p)
	if err != nil || m["boss@keboola.com"] != "petr" {
		t.Fatalf("%v %v", m, err)
	}
	os.WriteFile(p, []byte(`{"a@b.c":"root; rm -rf /"}`), 0o600)
	if _, err := LoadUsernameMap(p); err == nil {
		t.Fatal("accepted a bad username")
	}
}

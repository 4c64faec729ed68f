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
		"guest@gmail.com":        "guest",
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
	}
	for email, want := range refused {
		if _, err := r.Username(email); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", email, err, want)
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

// Package signin decides who may sign in and under which username, and runs
// the OpenID Connect flow (coreos/go-oidc for discovery and ID-token checks,
// golang.org/x/oauth2 for the code exchange with PKCE: the two standard,
// well-kept Go libraries for this).
package signin

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// usernameRE is what we accept as a username: it becomes a token subject
// and the argument of `sudo -u`, so it must be a plain POSIX-ish login name.
var usernameRE = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)

// ValidUsername reports whether u is an acceptable username.
func ValidUsername(u string) bool { return usernameRE.MatchString(u) && !strings.Contains(u, "..") }

// Rules say who may sign in and what their username is.
type Rules struct {
	Domains []string          // allowed email domains, lower case
	Emails  []string          // allowed emails, lower case
	Map     map[string]string // email -> username overrides
	// AllowAny admits every address (development sign-in with no list).
	AllowAny bool
}

// LoadUsernameMap reads a JSON object {"email":"username"}; "" means none.
func LoadUsernameMap(path string) (map[string]string, error) {
	m := map[string]string{}
	if path == "" {
		return m, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read username map: %w", err)
	}
	var raw map[string]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("username map %s must be a JSON object {\"email\":\"username\"}: %w", path, err)
	}
	for email, user := range raw {
		if !ValidUsername(user) {
			return nil, fmt.Errorf("username map %s: %q is not a valid username", path, user)
		}
		m[strings.ToLower(email)] = user
	}
	return m, nil
}

// Username admits email (already verified by the provider) and returns the
// username, or an error saying why the person may not sign in.
func (r Rules) Username(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", fmt.Errorf("%q is not an email address", email)
	}
	if !r.AllowAny && !slices.Contains(r.Emails, email) && !slices.Contains(r.Domains, domain) {
		return "", fmt.Errorf("%s is not allowed to sign in here (only %s)", email, r.describe())
	}
	if u, ok := r.Map[email]; ok {
		return u, nil
	}
	if !ValidUsername(local) {
		return "", fmt.Errorf("%q cannot be used as a username; ask an admin to add a mapping for %s", local, email)
	}
	return local, nil
}

func (r Rules) describe() string {
	var parts []string
	for _, d := range r.Domains {
		parts = append(parts, "@"+d)
	}
	if len(r.Emails) > 0 {
		parts = append(parts, "listed accounts")
	}
	if len(parts) == 0 {
		return "nobody is configured"
	}
	return strings.Join(parts, ", ")
}

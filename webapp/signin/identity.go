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

	"github.com/keboola/analyst-alerts/webapp/config"
)

// usernameRE is what we accept as a username: it becomes a token subject
// and the argument of `sudo -u`, so it must be a plain POSIX-ish login name.
var usernameRE = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)

// ValidUsername reports whether u is an acceptable username.
func ValidUsername(u string) bool { return usernameRE.MatchString(u) && !strings.Contains(u, "..") }

// Rules say who may sign in and what their username is.
//
// A username is a Unix user whose scripts the webapp runs through sudo, so
// two people must never get the same one by accident. Only addresses in the
// primary domain become their local part (petr@primary -> petr); any other
// admitted address (another allowed domain, a listed address elsewhere)
// signs in only through an explicit Map entry. With only listed addresses
// and no domain, each becomes its local part, and Check refuses a list in
// which two of them would collide.
type Rules struct {
	Domains []string          // allowed email domains, lower case
	Emails  []string          // allowed emails, lower case
	Map     map[string]string // email -> username overrides
	// Primary is the domain whose addresses sign in as their local part;
	// "" with exactly one allowed domain means that one.
	Primary string
	// AllowAny admits every address (development sign-in with no list).
	AllowAny bool
}

// primary is the domain whose addresses become their local part: "" with
// no domain configured (listed addresses only, or anyone in development).
func (r Rules) primary() string {
	if r.Primary == "" && len(r.Domains) == 1 {
		return r.Domains[0]
	}
	return r.Primary
}

// derivesUsername reports whether an address at domain may sign in as its
// local part, without a Map entry.
func (r Rules) derivesUsername(domain string) bool {
	if p := r.primary(); p != "" {
		return domain == p
	}
	return len(r.Domains) == 0 // listed addresses only (Check), or AllowAny
}

// Check refuses rules that could give two people the same username: several
// domains and no primary one, a primary domain that is not allowed, or two
// listed addresses without a Map entry and the same local part. Errors name
// the variable to fix.
func (r Rules) Check() error {
	p := r.primary()
	if p == "" && len(r.Domains) > 1 {
		return fmt.Errorf("%s names several domains (%s): set %s to the one whose addresses sign in as their local part",
			config.EnvAllowedDomains, strings.Join(r.Domains, ", "), config.EnvPrimaryDomain)
	}
	if p != "" && len(r.Domains) > 0 && !slices.Contains(r.Domains, p) {
		return fmt.Errorf("%s: %q is not one of %s", config.EnvPrimaryDomain, p, config.EnvAllowedDomains)
	}
	seen := map[string]string{}
	for _, email := range r.Emails {
		local, domain, _ := strings.Cut(email, "@")
		if _, mapped := r.Map[email]; mapped || !r.derivesUsername(domain) {
			continue
		}
		if other, dup := seen[local]; dup {
			return fmt.Errorf("%s lists %s and %s, which would both sign in as %q: map at least one of them in %s",
				config.EnvAllowedEmails, other, email, local, config.EnvUsernameMap)
		}
		seen[local] = email
	}
	return nil
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
	if !r.AllowAny && !r.derivesUsername(domain) {
		return "", fmt.Errorf("%s may sign in, but only addresses at @%s sign in under their own name; "+
			"ask an admin to map %s to a username (%s)", email, r.primary(), email, config.EnvUsernameMap)
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

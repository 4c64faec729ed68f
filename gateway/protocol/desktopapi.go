package protocol

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The webapp's desktop API, as the app calls it (paths and bodies of the
// seed; see docs/protocol.md).
const (
	PathDesktopLink      = "/desktop/link"
	PathDesktopAuthorize = "/api/desktop/authorize"
	PathDesktopRefresh   = "/api/desktop/refresh"
	PathDesktopUnlink    = "/api/desktop/unlink"
	PathDesktopScripts   = "/api/desktop/scripts"
	PathDesktopRunScript = "/api/desktop/scripts/run"
	PathImagesPrefix     = "/api/notifications/images/"

	DefaultURLScheme = "keboola-analyst"
)

// AuthorizeResponse answers POST /api/desktop/authorize.
type AuthorizeResponse struct {
	URL string `json:"url"`
}

// RefreshResponse answers POST /api/desktop/refresh.
type RefreshResponse struct {
	Token string `json:"token"`
}

// UnlinkResponse answers POST /api/desktop/unlink.
type UnlinkResponse struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// ScriptInfo is one entry of GET /api/desktop/scripts and of
// `notify-scripts list`. LastRun is human-readable ("5m ago") or null.
type ScriptInfo struct {
	Name    string  `json:"name"`
	Stem    string  `json:"stem"`
	LastRun *string `json:"last_run"`
}

// RunScriptRequest is the body of POST /api/desktop/scripts/run.
type RunScriptRequest struct {
	Name string `json:"name"`
}

// OKResponse answers a successful script run.
type OKResponse struct {
	OK bool `json:"ok"`
}

// MaxTokenBytes bounds a token taken from a deep link or a header; real
// tokens are a few hundred bytes.
const MaxTokenBytes = 4096

var tokenChars = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

// DeepLink builds the sign-in link the webapp hands to the browser:
// <scheme>://auth?token=<JWT>.
func DeepLink(scheme, token string) string {
	if scheme == "" {
		scheme = DefaultURLScheme
	}
	return scheme + "://auth?" + url.Values{"token": {token}}.Encode()
}

// ErrBadDeepLink is wrapped by every ParseDeepLink refusal.
var ErrBadDeepLink = errors.New("not a valid sign-in link")

// ParseDeepLink takes the token out of a sign-in link, strictly: the scheme
// must be ours, the host "auth", no user, port, path or fragment, exactly one
// query parameter "token" holding a JWT-shaped value of sane size. Anything
// else is refused, so a hostile page cannot smuggle data into the app.
func ParseDeepLink(raw, scheme string) (string, error) {
	if scheme == "" {
		scheme = DefaultURLScheme
	}
	if len(raw) > MaxTokenBytes+64 {
		return "", fmt.Errorf("%w: too long", ErrBadDeepLink)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadDeepLink, err)
	}
	if !strings.EqualFold(u.Scheme, scheme) {
		return "", fmt.Errorf("%w: scheme %q", ErrBadDeepLink, u.Scheme)
	}
	if u.Host != "auth" || u.User != nil || u.Port() != "" {
		return "", fmt.Errorf("%w: host must be auth", ErrBadDeepLink)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("%w: unexpected path or fragment", ErrBadDeepLink)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: bad query", ErrBadDeepLink)
	}
	if len(q) != 1 || len(q["token"]) != 1 {
		return "", fmt.Errorf("%w: expected exactly one token parameter", ErrBadDeepLink)
	}
	tok := q.Get("token")
	if len(tok) > MaxTokenBytes || !tokenChars.MatchString(tok) {
		return "", fmt.Errorf("%w: token is not a JWT", ErrBadDeepLink)
	}
	return tok, nil
}

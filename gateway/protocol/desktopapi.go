package protocol

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
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
	// PathDesktopVersion?platform=darwin|windows|linux answers DesktopVersion:
	// the latest app the portal offers for that platform (no sign-in needed).
	PathDesktopVersion   = "/api/desktop/version"
	VersionPlatformParam = "platform"

	DefaultURLScheme = "keboola-analyst"
)

// AuthorizeRequest is the body of POST /api/desktop/authorize. State is
// our extension: the one-time value the app put in /desktop/link?state=...,
// handed back in the deep link so the app knows it asked for this sign-in.
// A seed page posts {} (or nothing) and gets the seed's link.
type AuthorizeRequest struct {
	State string `json:"state,omitempty"`
}

// LinkStateParam is the query parameter of /desktop/link and of the deep
// link that carries the app's one-time value.
const LinkStateParam = "state"

// MaxStateBytes bounds the one-time value; the app makes 43 characters
// (32 random bytes, base64url).
const MaxStateBytes = 128

var stateChars = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// ValidLinkState says whether s has the shape of the app's one-time value
// (16 to 128 base64url characters). Servers pass on only such values.
func ValidLinkState(s string) bool { return stateChars.MatchString(s) }

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
	// SnoozedUntil is the end of the script's snooze (RFC 3339 UTC), null
	// when it is not snoozed.
	SnoozedUntil *time.Time `json:"snoozed_until"`
	// Health is ours (issue 15): absent from the seed's list, and for a
	// script no runner pass has seen yet.
	Health *ScriptHealth `json:"health,omitempty"`
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

// DeepLink builds the seed's sign-in link: <scheme>://auth?token=<JWT>.
func DeepLink(scheme, token string) string { return DeepLinkWithState(scheme, token, "") }

// DeepLinkWithState builds the sign-in link answering an app's request:
// <scheme>://auth?token=<JWT>&state=<the app's one-time value>; without a
// state it is the seed's link.
func DeepLinkWithState(scheme, token, state string) string {
	if scheme == "" {
		scheme = DefaultURLScheme
	}
	q := "token=" + url.QueryEscape(token)
	if state != "" {
		q += "&" + LinkStateParam + "=" + url.QueryEscape(state)
	}
	return scheme + "://auth?" + q
}

// ErrBadDeepLink is wrapped by every ParseDeepLink refusal.
var ErrBadDeepLink = errors.New("not a valid sign-in link")

// SignInLink is what a sign-in link carries. State is "" in a seed link.
type SignInLink struct {
	Token string
	State string
}

// ParseDeepLink takes the token out of a sign-in link (see ParseSignInLink).
func ParseDeepLink(raw, scheme string) (string, error) {
	l, err := ParseSignInLink(raw, scheme)
	return l.Token, err
}

// ParseSignInLink reads a sign-in link, strictly: the scheme must be ours,
// the host "auth", no user, port, path or fragment, exactly one query
// parameter "token" holding a JWT-shaped value of sane size, and at most one
// "state" of ValidLinkState's shape. Anything else is refused, so a hostile
// page cannot smuggle data into the app.
func ParseSignInLink(raw, scheme string) (SignInLink, error) {
	if scheme == "" {
		scheme = DefaultURLScheme
	}
	if len(raw) > MaxTokenBytes+MaxStateBytes+64 {
		return SignInLink{}, fmt.Errorf("%w: too long", ErrBadDeepLink)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return SignInLink{}, fmt.Errorf("%w: %v", ErrBadDeepLink, err)
	}
	if !strings.EqualFold(u.Scheme, scheme) {
		return SignInLink{}, fmt.Errorf("%w: scheme %q", ErrBadDeepLink, u.Scheme)
	}
	if u.Host != "auth" || u.User != nil || u.Port() != "" {
		return SignInLink{}, fmt.Errorf("%w: host must be auth", ErrBadDeepLink)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.Opaque != "" {
		return SignInLink{}, fmt.Errorf("%w: unexpected path or fragment", ErrBadDeepLink)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SignInLink{}, fmt.Errorf("%w: bad query", ErrBadDeepLink)
	}
	states, hasState := q[LinkStateParam]
	want := 1
	if hasState {
		want = 2
		if len(states) != 1 || !ValidLinkState(states[0]) {
			return SignInLink{}, fmt.Errorf("%w: expected at most one well-formed state parameter", ErrBadDeepLink)
		}
	}
	if len(q) != want || len(q["token"]) != 1 {
		return SignInLink{}, fmt.Errorf("%w: expected exactly one token parameter (and an optional state)", ErrBadDeepLink)
	}
	tok := q.Get("token")
	if len(tok) > MaxTokenBytes || !tokenChars.MatchString(tok) {
		return SignInLink{}, fmt.Errorf("%w: token is not a JWT", ErrBadDeepLink)
	}
	return SignInLink{Token: tok, State: q.Get(LinkStateParam)}, nil
}

// Snooze and quiet hours: the desktop app's Scripts tab and Settings, and
// the portal, set them through the webapp, which runs `notify-scripts
// snooze|unsnooze|quiet` as the user.
const (
	PathDesktopSnooze   = "/api/desktop/scripts/snooze"   // POST SnoozeRequest -> SnoozeResponse
	PathDesktopUnsnooze = "/api/desktop/scripts/unsnooze" // POST SnoozeRequest (name only) -> SnoozeResponse
	PathDesktopQuiet    = "/api/desktop/quiet"            // GET -> QuietResponse; POST QuietRequest -> QuietResponse
)

// SnoozeRequest snoozes a script (Name: "x.py" or the stem "x") until
// Until: a duration ("30m", "1h", "1d") from now or an RFC 3339 time.
type SnoozeRequest struct {
	Name  string `json:"name"`
	Until string `json:"until,omitempty"`
}

// SnoozeResponse is a script's snooze after a change: SnoozedUntil null
// when it is not snoozed.
type SnoozeResponse struct {
	Script       string     `json:"script"`
	SnoozedUntil *time.Time `json:"snoozed_until"`
}

// QuietHours is a user's daily quiet window ("22:00"-"07:00", across
// midnight when the end is earlier than the start) in an IANA zone ("":
// the server's zone). Alerts in it arrive silently.
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Zone  string `json:"tz,omitempty"`
}

// QuietRequest sets quiet hours (Window "HH:MM-HH:MM", TZ optional) or,
// with Off, removes them.
type QuietRequest struct {
	Window string `json:"window,omitempty"`
	TZ     string `json:"tz,omitempty"`
	Off    bool   `json:"off,omitempty"`
}

// QuietResponse is the quiet hours now set; Quiet null when none.
type QuietResponse struct {
	Quiet *QuietHours `json:"quiet"`
}

// DesktopVersion is the body of GET /api/desktop/version: the latest version
// of the app for a platform (Go's GOOS: darwin, windows, linux) and where a
// person downloads it (a portal page: the app opens it in the browser, it
// never installs anything itself). Version is "x.y.z", or "" when the portal
// knows none.
type DesktopVersion struct {
	Platform string `json:"platform"`
	Version  string `json:"version,omitempty"`
	URL      string `json:"url,omitempty"`
}

// DesktopPlatforms are the platforms the portal answers for.
var DesktopPlatforms = []string{"darwin", "windows", "linux"}

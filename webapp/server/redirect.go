package server

import (
	"net/url"
	"strings"
)

// defaultNext is where a sign-in ends when the request named no usable target.
const defaultNext = "/dashboard"

// safeNext keeps a redirect target taken from a request (the next= of
// login, the dev form, the flow cookie of the OIDC callback) on this site:
// it returns next when it is a path on this site, else defaultNext.
//
// Browsers are lenient where Go is not: they drop tabs and newlines from a
// URL anywhere and read "\" as "/", so "/\t/evil.example" and
// "/\\evil.example" are "//evil.example" to them, another site. So a
// target with a control character or a backslash anywhere, in its raw or
// its percent-decoded form, is refused outright rather than cleaned, and
// what remains must parse as a path with no scheme and no host that does
// not start with "//".
func safeNext(next string) string {
	if !localPath(next) {
		return defaultNext
	}
	return next
}

func localPath(next string) bool {
	if next == "" || len(next) > 2048 || hasUnsafe(next) {
		return false
	}
	if dec, err := url.PathUnescape(next); err != nil || hasUnsafe(dec) || strings.HasPrefix(dec, "//") {
		return false
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return false
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == "" &&
		strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
}

// hasUnsafe: a control character (C0, DEL, and the C1 range browsers may
// also strip) or a backslash.
func hasUnsafe(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\\' {
			return true
		}
	}
	return false
}

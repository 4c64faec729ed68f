package server

import "testing"

// Every target a browser would take off this site is refused; same-site
// paths are kept as they are.
func TestSafeNext(t *testing.T) {
	keep := []string{
		"/dashboard", "/desktop/link", "/desktop/link?state=abc&x=%2F", "/dashboard#runs",
		"/download/AnalystAlerts-1.0.dmg", "/a/b/../c", "/%E2%9C%93",
	}
	for _, next := range keep {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
	refuse := []string{
		"", "dashboard", "https://evil.example/", "//evil.example", "///evil.example",
		"/\t/evil.example",  // the review's next=/%09/evil.example, as the query decodes it
		"/%09/evil.example", // and encoded once more
		"/\n/evil.example", "/\r/evil.example", "\t//evil.example", "/\x00/evil", "/\x7f/evil",
		"/\u0085/evil", // C1 control
		"/\\evil.example", "\\\\evil.example", "/x\\y", "/%5Cevil.example", "/%5C%5Cevil.example",
		"/%2F/evil.example", // decodes to //evil.example
		"javascript:alert(1)", "/\t", "http:/evil.example", "/ /evil.example\\",
	}
	for _, next := range refuse {
		if got := safeNext(next); got != defaultNext {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, defaultNext)
		}
	}
}

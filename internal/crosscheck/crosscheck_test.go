package crosscheck_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/internal/crosscheck"
)

var (
	darwin  = crosscheck.Target{GOOS: "darwin", GOARCH: "arm64", Tags: []string{"desktop", "production"}}
	windows = crosscheck.Target{GOOS: "windows", GOARCH: "amd64", Tags: []string{"desktop", "production"}}
	linux   = crosscheck.Target{GOOS: "linux", GOARCH: "amd64", Tags: []string{"desktop", "production"}}
)

// A wrong call into systray in a cgo _darwin.go file, and a wrong call into
// Wails in a _windows.go file, are reported for their platform only, with
// file and line; the Linux check, which never reads either file, passes.
func TestReportsPlatformOnlyMistakes(t *testing.T) {
	got := check(t, darwin, "./testdata/bad")
	wantOne(t, got, "bad_darwin.go:12:", "SetTemplateIcon")
	got = check(t, windows, "./testdata/bad")
	wantOne(t, got, "bad_windows.go:10:", `"10"`)
	if got := check(t, linux, "./testdata/bad"); len(got) != 0 {
		t.Errorf("linux: %q, want no errors", got)
	}
}

// Correct code passes on every platform, cgo calls included (FakeImportC).
func TestPassesCorrectCode(t *testing.T) {
	for _, target := range []crosscheck.Target{darwin, windows, linux} {
		if got := check(t, target, "./testdata/good"); len(got) != 0 {
			t.Errorf("%s: %q, want no errors", target, got)
		}
	}
}

func check(t *testing.T, target crosscheck.Target, pattern string) []string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := crosscheck.Check(dir, target, pattern)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func wantOne(t *testing.T, got []string, place, text string) {
	t.Helper()
	if len(got) != 1 || !strings.Contains(got[0], place) || !strings.Contains(got[0], text) {
		t.Errorf("errors %q, want one at %s mentioning %s", got, place, text)
	}
}

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
)

// Each target checks both fixtures at once (one load of the standard
// library per target: go/types under -race is slow). A wrong call into
// systray in a cgo _darwin.go file, and a wrong call into Wails in a
// _windows.go file, are reported for their platform only, with file and
// line (each target reads only its own platform's file); the correct
// fixture, cgo calls included (FakeImportC), passes on both.
func TestReportsPlatformOnlyMistakes(t *testing.T) {
	for _, c := range []struct {
		target      crosscheck.Target
		place, text string // the one error expected
	}{
		{darwin, "bad_darwin.go:12:", "SetTemplateIcon"},
		{windows, "bad_windows.go:10:", `"10"`},
	} {
		got := check(t, c.target, "./testdata/bad", "./testdata/good")
		if len(got) != 1 || !strings.Contains(got[0], c.place) || !strings.Contains(got[0], c.text) {
			t.Errorf("%s: errors %q, want one at %s mentioning %s", c.target, got, c.place, c.text)
		}
	}
}

func check(t *testing.T, target crosscheck.Target, patterns ...string) []string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := crosscheck.Check(dir, target, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Command crosscheck type-checks the desktop app for macOS (arm64 and
// amd64) and Windows (amd64 and arm64) with the build tags `wails build`
// uses there, and runs `go vet ./...` for Windows over the whole module,
// tests included, on any machine: `make crosscheck`, and `make test`
// through scripts/test.d/. It prints every error and exits 1 if there is
// one.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/keboola/analyst-alerts/internal/crosscheck"
)

// The app: the root package (main.go, built with the desktop tag) and every
// desktop package. The e2e package only runs on Linux and is left out.
var appPatterns = []string{".", "./desktop/..."}

// Targets are the platforms the app ships for, with the tags `wails build`
// adds: the output type (desktop) and production; on Windows also the
// WebView2 runtime strategy (download is its default).
var targets = []crosscheck.Target{
	{GOOS: "darwin", GOARCH: "arm64", Tags: []string{"desktop", "production"}},
	{GOOS: "darwin", GOARCH: "amd64", Tags: []string{"desktop", "production"}},
	{GOOS: "windows", GOARCH: "amd64", Tags: []string{"desktop", "production", "wv2runtime.download"}},
	{GOOS: "windows", GOARCH: "arm64", Tags: []string{"desktop", "production", "wv2runtime.download"}},
}

func main() {
	dir := flag.String("C", ".", "the module's root")
	flag.Parse()
	patterns := appPatterns
	if flag.NArg() > 0 {
		patterns = flag.Args()
	}
	failed := false
	for _, t := range targets {
		problems, err := crosscheck.Check(*dir, t, patterns...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if len(problems) > 0 {
			failed = true
			fmt.Fprintf(os.Stderr, "%s: %d errors\n  %s\n", t, len(problems), strings.Join(problems, "\n  "))
			continue
		}
		fmt.Printf("%s: ok\n", t)
	}
	if flag.NArg() == 0 && !vetWindows(*dir) {
		failed = true
	}
	if failed {
		os.Exit(1)
	}
}

// vetWindows runs go vet ./... for Windows (pure Go, as the app's Windows
// build is) over every package and its tests: the server's packages are
// Linux programs, but what they share with the app, and the tests, must
// still compile there, so a Unix-only call (syscall.Kill, a uid, a umask)
// goes in a per-OS file. The type checks above cover only the app, with
// its Wails tags; this covers the rest.
func vetWindows(dir string) bool {
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "windows/amd64 go vet ./...: %v\n%s", err, out)
		return false
	}
	fmt.Println("windows/amd64 go vet ./... (tests included): ok")
	return true
}

// Package testbin builds the project's commands for tests that run them as
// real processes.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"testing"
)

// Build compiles the Go package pkg (an import path, or "." for the test's
// own command) into dir and returns the binary's path. flags go to go build
// (e.g. "-race").
func Build(dir, pkg string, flags ...string) (string, error) {
	name := path.Base(pkg)
	if pkg == "." {
		wd, _ := os.Getwd()
		name = filepath.Base(wd)
	}
	bin := filepath.Join(dir, name)
	args := append(append([]string{"build"}, flags...), "-o", bin, pkg)
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// Main is a TestMain for a command's own tests: it builds the command in
// the test's folder once, stores its path in *bin, runs the tests, cleans
// up and exits.
func Main(m *testing.M, bin *string, flags ...string) {
	dir, err := os.MkdirTemp("", "testbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin, err = Build(dir, ".", flags...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

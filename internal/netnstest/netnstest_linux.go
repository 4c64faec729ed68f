// Package netnstest runs a test's body in a network namespace of its own,
// so it can add interfaces and addresses with ip(8) without touching the
// host's network: the test binary runs itself again in a new user and
// network namespace (an unprivileged user namespace maps the test to root
// there), runs only that test, and the parent checks it passed.
package netnstest

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// inside is set in the child process that runs the test's body.
const inside = "NETNSTEST_INSIDE"

// Run runs body in a fresh network namespace: called from the test named
// testName, it re-executes the test binary for that test alone, and in
// that child runs body. It skips where ip(8) or user namespaces are
// missing.
func Run(t *testing.T, testName string, body func(t *testing.T)) {
	t.Helper()
	if os.Getenv(inside) == testName {
		body(t)
		return
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) (iproute2)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+testName+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inside+"="+testName)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(err.Error(), "operation not permitted") {
		t.Skipf("no user namespaces here: %v", err)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("in a network namespace: %v\n%s", err, out)
	}
}

// IP runs ip(8) with args, failing the test on an error.
func IP(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v %s", args, err, out)
	}
}

package connection

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/keboola/analyst-alerts/desktop/wake"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
)

// The whole way, with the OS's real events: a new network interface with
// an address comes up, the kernel says so on netlink, and the link is
// renewed at once. In a network namespace of the test's own (an
// unprivileged user namespace maps the test to root there), so the host's
// network is not touched.
func TestANewNetworkRenewsTheLink(t *testing.T) {
	if os.Getenv("CONNECTION_TEST_NETNS") == "1" {
		newNetworkInANamespace(t)
		return
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) (iproute2)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestANewNetworkRenewsTheLink$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "CONNECTION_TEST_NETNS=1")
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

func newNetworkInANamespace(t *testing.T) {
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	ip("link", "set", "lo", "up") // the gateway listens on 127.0.0.1
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	h := newHarness(t, gw, Options{Wakes: func(ctx context.Context, w func(string)) {
		wake.Run(ctx, wake.Options{}, w) // the real events, as the app has them
	}})
	h.run()
	defer h.stop()
	h.waitState(Connected)
	ip("link", "add", "wk0", "type", "veth", "peer", "name", "wk1")
	ip("addr", "add", "192.0.2.1/24", "dev", "wk0")
	ip("link", "set", "wk0", "up")
	h.waitState(Connecting)
	h.waitState(Connected)
}

package connection

import (
	"context"
	"testing"

	"github.com/keboola/analyst-alerts/desktop/wake"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/internal/netnstest"
)

// The whole way, with the OS's real events: a new network interface with
// an address comes up, the kernel says so on netlink, and the link is
// renewed at once. In a network namespace of the test's own (an
// unprivileged user namespace maps the test to root there), so the host's
// network is not touched.
func TestANewNetworkRenewsTheLink(t *testing.T) {
	netnstest.Run(t, "TestANewNetworkRenewsTheLink", newNetworkInANamespace)
}

func newNetworkInANamespace(t *testing.T) {
	ip := func(args ...string) { t.Helper(); netnstest.IP(t, args...) }
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

package connection

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

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

// With the real clock, given or not (the app passes its own), a link's
// dead-link timer is a kernel timer (package idletimer), not a runtime
// timer whose pushed-back expiries would still wake the idle app.
func TestTheRealClocksLinkTimerIsATimerfd(t *testing.T) {
	for _, clock := range []clockwork.Clock{nil, clockwork.NewRealClock()} {
		c := New(Options{URL: func() string { return "" }, Token: func() string { return "" }, Clock: clock})
		tm := c.newLinkTimer(time.Hour)
		tm.Stop()
		if pkg := reflect.TypeOf(tm).Elem().PkgPath(); !strings.HasSuffix(pkg, "/desktop/idletimer") {
			t.Errorf("clock %T: the link timer is a %T", clock, tm)
		}
	}
}

package wake

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"go.uber.org/goleak"

	"github.com/keboola/analyst-alerts/desktop/internal/dbusstandin"
	"github.com/keboola/analyst-alerts/internal/netnstest"
)

// sources runs real sources with a test's env; events arrive on the
// returned channel. stop ends them and waits.
func sources(t *testing.T) (sourceEnv, chan event, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan event, 16)
	var wg sync.WaitGroup
	e := sourceEnv{ctx: ctx, log: slog.New(slog.NewTextHandler(io.Discard, nil)), wg: &wg,
		send: func(ev event) { events <- ev }}
	return e, events, func() { cancel(); wg.Wait() }
}

func want(t *testing.T, events chan event, ev event, what string) {
	t.Helper()
	select {
	case got := <-events:
		if got != ev {
			t.Fatalf("%s: got event %d, want %d", what, got, ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event", what)
	}
}

func none(t *testing.T, events chan event, what string) {
	t.Helper()
	select {
	case got := <-events:
		t.Fatalf("%s: unexpected event %d", what, got)
	case <-time.After(300 * time.Millisecond):
	}
}

// A stand-in logind on a private bus announces a sleep and the resume; an
// impostor on the same bus announces a resume too. Only logind's resume
// counts.
func TestLogindResumeOnAPrivateBus(t *testing.T) {
	connect := dbusstandin.Bus(t)
	logind, impostor := connect(), connect()
	if reply, err := logind.RequestName(logindName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", logindName, reply, err)
	}
	e, events, stop := sources(t)
	defer stop()
	watcher := connect()
	if err := watchLogind(e, watcher); err != nil {
		t.Fatal(err)
	}
	signal := logindIface + ".PrepareForSleep"
	if err := impostor.Emit(logindPath, signal, false); err != nil {
		t.Fatal(err)
	}
	if err := logind.Emit(logindPath, signal, true); err != nil { // going to sleep
		t.Fatal(err)
	}
	none(t, events, "an impostor's resume or the sleep itself")
	if err := logind.Emit(logindPath, signal, false); err != nil { // resumed
		t.Fatal(err)
	}
	want(t, events, resumed, "logind's resume")
	none(t, events, "after one resume")
	stop()
	if watcher.Connected() {
		t.Fatal("the bus connection outlived the watcher")
	}
}

// The clock-change timer arms on this kernel, never expires by itself, and
// its goroutines end with the context. (A real clock change needs
// CAP_SYS_TIME on the host: not something a test on a shared machine does.)
func TestClockTimerArmsAndStays(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e, events, stop := sources(t)
	if err := watchClock(e); err != nil {
		t.Fatal(err)
	}
	none(t, events, "no clock change")
	stop()
}

// Network changes seen through the real netlink socket, in a network
// namespace of the test's own (an unprivileged user namespace maps the
// test to root there), so the host's network is not touched: a veth pair
// is made, given an address and set up with ip(8).
func TestNetlinkSeesAddressesAndLinks(t *testing.T) {
	netnstest.Run(t, "TestNetlinkSeesAddressesAndLinks", netnsChild)
}

func netnsChild(t *testing.T) {
	e, events, stop := sources(t)
	defer stop()
	if err := watchNetlink(e); err != nil {
		t.Fatal(err)
	}
	ip := func(args ...string) { t.Helper(); netnstest.IP(t, args...) }
	print0 := Fingerprint()
	ip("link", "add", "wk0", "type", "veth", "peer", "name", "wk1")
	want(t, events, netChanged, "interfaces added")
	drain(events)
	ip("addr", "add", "192.0.2.1/24", "dev", "wk0")
	want(t, events, netChanged, "address added")
	drain(events)
	ip("link", "set", "wk0", "up")
	want(t, events, netChanged, "interface up")
	drain(events)
	if Fingerprint() == print0 {
		t.Fatalf("fingerprint unchanged: %q", print0)
	}
	// A change that is not up/down (the MTU) is no network change.
	ip("link", "set", "wk1", "mtu", "1400")
	none(t, events, "MTU change")
	ip("link", "set", "wk0", "down")
	want(t, events, netChanged, "interface down")
}

// drain takes what a burst queued (a new interface brings several
// messages; an interface set up brings its IPv6 addresses).
func drain(events chan event) {
	for {
		select {
		case <-events:
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

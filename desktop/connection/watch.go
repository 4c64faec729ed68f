package connection

import (
	"net"
	"sort"
	"strings"
	"time"
)

// wakeWatcher notices that the computer slept or the network changed, the
// two moments when a connection is probably dead and waiting out a backoff
// or the dead-link timer would leave the user without alerts for no reason.
//
// Sleep: the monotonic clock (what timers run on) stops while the computer
// sleeps on Linux, macOS and Windows, the wall clock does not. So at each
// tick, wall time elapsed minus monotonic time elapsed is the time slept.
// Portable, no OS power API needed.
type wakeWatcher struct {
	mono      func() time.Time // carries a monotonic reading (clock.Now)
	wall      func() time.Time // wall clock only
	netPrint  func() string
	threshold time.Duration

	lastMono, lastWall time.Time
	lastNet            string
}

func (w *wakeWatcher) start() {
	w.lastMono, w.lastWall = w.mono(), w.wall()
	if w.netPrint != nil {
		w.lastNet = w.netPrint()
	}
}

// check reports why the link should be renewed now, or "".
func (w *wakeWatcher) check() string {
	mono, wall := w.mono(), w.wall()
	slept := wall.Sub(w.lastWall) - mono.Sub(w.lastMono)
	w.lastMono, w.lastWall = mono, wall
	reason := ""
	if slept > w.threshold || slept < -w.threshold {
		reason = "wall clock jumped " + slept.Round(time.Second).String() + " (sleep or clock change)"
	}
	if w.netPrint != nil {
		if n := w.netPrint(); n != w.lastNet {
			w.lastNet = n
			if reason == "" {
				reason = "network changed"
			}
		}
	}
	return reason
}

// wallNow is the wall clock without Go's monotonic reading, so that
// subtraction uses wall time.
func wallNow() time.Time { return time.Now().Round(0) }

// netFingerprint names the up, non-loopback interfaces and their addresses;
// it changes when Wi-Fi, VPN or cable come or go.
func netFingerprint() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	var parts []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ip, _, err := net.ParseCIDR(a.String()); err == nil && ip.IsLinkLocalUnicast() {
				continue // link-local addresses come and go without a real change
			}
			parts = append(parts, i.Name+"="+a.String())
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

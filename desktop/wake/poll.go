package wake

import (
	"net"
	"sort"
	"strings"
	"time"
)

// watcher decides whether an event (or, without one, a look at the clocks
// and the network) means the link should be renewed.
//
// Sleep: the monotonic clock (what timers run on) stops while the computer
// sleeps on Linux, macOS and Windows, the wall clock does not. So wall time
// elapsed minus monotonic time elapsed since the last look is the time
// slept (or the size of a clock change). Portable, no OS power API needed:
// it is what the fallback uses, and it sizes a jump the OS reports.
type watcher struct {
	mono      func() time.Time // carries a monotonic reading (clock.Now)
	wall      func() time.Time // wall clock only
	netPrint  func() string
	threshold time.Duration

	lastMono, lastWall time.Time
	lastNet            string
}

func (w *watcher) start() {
	w.lastMono, w.lastWall = w.mono(), w.wall()
	w.lastNet = w.netPrint()
}

// checkClock reports a wall-clock jump larger than the threshold since the
// last look, or "".
func (w *watcher) checkClock() string {
	mono, wall := w.mono(), w.wall()
	slept := wall.Sub(w.lastWall) - mono.Sub(w.lastMono)
	w.lastMono, w.lastWall = mono, wall
	if slept > w.threshold || slept < -w.threshold {
		return "wall clock jumped " + slept.Round(time.Second).String() + " (sleep or clock change)"
	}
	return ""
}

// checkNet reports whether the network's fingerprint changed since the last
// look.
func (w *watcher) checkNet() bool {
	n := w.netPrint()
	if n == w.lastNet {
		return false
	}
	w.lastNet = n
	return true
}

// wallNow is the wall clock without Go's monotonic reading, so that
// subtraction uses wall time.
func wallNow() time.Time { return time.Now().Round(0) }

// Fingerprint names the up, non-loopback interfaces and their addresses; it
// changes when Wi-Fi, VPN or cable come or go. The OS's network events say
// only that something moved (an IPv6 address renewed by a router
// advertisement is an event too); this says whether it matters.
func Fingerprint() string {
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

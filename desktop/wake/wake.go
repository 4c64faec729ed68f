// Package wake tells the desktop app when its link to the gateway is
// probably dead although the socket does not know it yet: the computer
// woke from sleep, the wall clock jumped, or the network changed. Waiting
// out a backoff or the dead-link timer then would leave the user without
// alerts for no reason.
//
// It listens to the operating system's events (one small file per OS:
// logind, a timerfd and a netlink socket on Linux; NSWorkspace on macOS;
// the power and IP Helper callbacks on Windows), so an idle app wakes for
// none of this. A Go timer that expires wakes the runtime's sysmon thread,
// which spins about 40 times before it sleeps again; a 10 s poll cost the
// idle app about 3 wake-ups a second (BENCHMARKS.md). Only where an OS
// gives no event does Run fall back to looking every Options.Fallback,
// and it says so in the log once.
package wake

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults.
const (
	// DefaultFallback is how often to look for a sleep, a clock jump or a
	// network change that the OS gives no event for.
	DefaultFallback = time.Minute
	// NetSettle: a network change comes as a burst of events (link,
	// addresses, routes); the addresses are compared once it has settled.
	NetSettle = time.Second
	// JumpThreshold: a wall-clock jump smaller than this (NTP stepping a
	// drift) leaves the link alone.
	JumpThreshold = 5 * time.Second
	// quietAfterWake: a second sleep event right after a resume (logind
	// and the timerfd both see one) does not renew the link twice.
	quietAfterWake = 2 * time.Second
)

// Options configure Run; the zero value is the real thing.
type Options struct {
	Logger   *slog.Logger     // default slog.Default()
	Clock    clockwork.Clock  // default real: the fallback's ticker and NetSettle
	Wall     func() time.Time // default the wall clock without a monotonic reading
	NetPrint func() string    // default Fingerprint
	Fallback time.Duration    // default DefaultFallback

	// sources starts the event sources; nil: the OS's (osSources).
	sources func(sourceEnv) covers
}

// event is what a source saw.
type event int

const (
	resumed    event = iota // the computer woke from sleep
	clockSet                // the wall clock was set (or the computer resumed)
	netChanged              // an interface or an address came or went
)

// covers says which changes the OS's sources report; the fallback looks
// for the rest.
type covers struct{ sleep, network bool }

// Run calls wake with a reason, in words, each time the link should be
// renewed, until ctx ends. It returns when every source has stopped.
func Run(ctx context.Context, o Options, wake func(reason string)) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Wall == nil {
		o.Wall = wallNow
	}
	if o.NetPrint == nil {
		o.NetPrint = Fingerprint
	}
	if o.Fallback <= 0 {
		o.Fallback = DefaultFallback
	}
	if o.sources == nil {
		o.sources = osSources
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // the sources' goroutines end with ctx
	defer cancel()

	events := make(chan event, 16)
	send := func(e event) {
		select {
		case events <- e:
		default: // a burst: what is queued already says it
		}
	}
	cov := o.sources(sourceEnv{ctx: ctx, log: o.Logger, send: send, wg: &wg})

	w := &watcher{mono: o.Clock.Now, wall: o.Wall, netPrint: o.NetPrint, threshold: JumpThreshold}
	w.start()
	var poll <-chan time.Time
	if !cov.sleep || !cov.network {
		var missing []string
		if !cov.sleep {
			missing = append(missing, "sleep or clock change")
		}
		if !cov.network {
			missing = append(missing, "network change")
		}
		o.Logger.Info("no event from the system for " + strings.Join(missing, " or ") + "; looking every " + o.Fallback.String() + " instead")
		t := o.Clock.NewTicker(o.Fallback)
		defer t.Stop()
		poll = t.Chan()
	}

	// One resume is seen by two sources (logind and the timerfd): it
	// renews the link once. A network change is news of its own (Wi-Fi
	// coming back a moment after the resume): it always counts.
	var lastResume time.Time
	resume := func(reason string) {
		now := o.Clock.Now()
		if !lastResume.IsZero() && now.Sub(lastResume) < quietAfterWake {
			return
		}
		lastResume = now
		wake(reason)
	}
	var settle clockwork.Timer
	var settleC <-chan time.Time
	defer func() {
		if settle != nil {
			settle.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-events:
			switch e {
			case resumed:
				w.checkClock() // the jump this resume made is accounted for
				resume("the computer woke from sleep")
			case clockSet:
				if r := w.checkClock(); r != "" {
					resume(r)
				}
			case netChanged:
				if settle == nil {
					settle = o.Clock.NewTimer(NetSettle)
				} else {
					settle.Reset(NetSettle)
				}
				settleC = settle.Chan()
			}
		case <-settleC:
			settleC = nil
			if w.checkNet() {
				wake("network changed")
			}
		case <-poll:
			if !cov.sleep {
				if r := w.checkClock(); r != "" {
					resume(r)
				}
			}
			if !cov.network && w.checkNet() {
				wake("network changed")
			}
		}
	}
}

// sourceEnv is what an event source gets: it sends what it sees until ctx
// ends, on goroutines started with spawn (Run waits for them).
type sourceEnv struct {
	ctx  context.Context
	log  *slog.Logger
	send func(event)
	wg   *sync.WaitGroup
}

func (e sourceEnv) spawn(f func()) { e.wg.Go(f) }

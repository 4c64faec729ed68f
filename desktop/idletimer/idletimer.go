// Package idletimer is a timer that can be pushed back at every event
// without waking the process later: the connection's dead-link timer, reset
// by every heartbeat (issue 17).
//
// A Go runtime timer that is reset to a later time keeps its old place in
// the runtime's timer heap until that time comes: the runtime wakes then,
// finds the timer moved and sleeps again, and its sysmon thread spins about
// 50 times around it. The dead-link timer (75 s, reset every 30 s) so woke
// the idle app every minute or so. On Linux the timer is a kernel timerfd
// waited on by Go's netpoller: re-arming it is one system call and leaves
// nothing behind, and the process wakes only when it expires. Elsewhere
// (and should a timerfd not be had) it is a runtime timer.
package idletimer

import "time"

// Timer fires once on Chan, d after it was made or last Reset, unless
// stopped. Reset and Stop are safe from any goroutine, and after Reset no
// expiry from before it is received (as with time.Timer since Go 1.23).
// The methods match clockwork.Timer.
type Timer interface {
	Chan() <-chan time.Time
	// Reset re-arms the timer for d from now; true if it was armed.
	Reset(d time.Duration) bool
	// Stop disarms the timer for good (its resources are freed); true if
	// it was armed.
	Stop() bool
}

// New returns a timer that fires after d.
func New(d time.Duration) Timer {
	if t, err := newFD(d); err == nil {
		return t
	}
	return runtimeTimer{time.NewTimer(d)}
}

type runtimeTimer struct{ *time.Timer }

func (t runtimeTimer) Chan() <-chan time.Time { return t.C }

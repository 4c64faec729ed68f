package idletimer

import (
	"testing"
	"time"
)

// On Linux the timer is a timerfd, not the runtime timer the package exists
// to avoid.
func TestLinuxTimerIsATimerfd(t *testing.T) {
	tm := New(time.Hour)
	defer tm.Stop()
	if _, ok := tm.(*fdTimer); !ok {
		t.Fatalf("a %T", tm)
	}
}

package idletimer

import (
	"runtime"
	"testing"
	"time"
)

// fired says whether t fires within wait.
func fired(t Timer, wait time.Duration) bool {
	select {
	case <-t.Chan():
		return true
	case <-time.After(wait):
		return false
	}
}

func TestFiresAfterItsDuration(t *testing.T) {
	start := time.Now()
	tm := New(50 * time.Millisecond)
	defer tm.Stop()
	if !fired(tm, 5*time.Second) {
		t.Fatal("did not fire")
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("fired after %v, before its 50 ms", el)
	}
	if fired(tm, 100*time.Millisecond) {
		t.Fatal("fired twice")
	}
}

func TestResetPushesItBack(t *testing.T) {
	tm := New(100 * time.Millisecond)
	defer tm.Stop()
	start := time.Now()
	for range 5 { // pushed back 5 times before it could fire
		time.Sleep(50 * time.Millisecond)
		if !tm.Reset(100 * time.Millisecond) {
			t.Fatal("Reset of an armed timer said it was not armed")
		}
	}
	if !fired(tm, 5*time.Second) {
		t.Fatal("did not fire after the last Reset")
	}
	if el := time.Since(start); el < 350*time.Millisecond {
		t.Fatalf("fired after %v: before the last Reset's 100 ms were up", el)
	}
}

// An expiry not yet received when the timer is Reset is not delivered.
func TestNoStaleExpiryAfterReset(t *testing.T) {
	tm := New(time.Millisecond)
	defer tm.Stop()
	time.Sleep(100 * time.Millisecond) // expired, not received
	if tm.Reset(time.Hour) {
		t.Fatal("an expired timer said it was armed")
	}
	if fired(tm, 200*time.Millisecond) {
		t.Fatal("the expiry from before Reset was delivered")
	}
	tm.Reset(0) // at once
	if !fired(tm, 5*time.Second) {
		t.Fatal("Reset(0) did not fire")
	}
}

func TestStopEndsIt(t *testing.T) {
	before := runtime.NumGoroutine()
	tm := New(50 * time.Millisecond)
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer said it was not armed")
	}
	if fired(tm, 200*time.Millisecond) {
		t.Fatal("fired after Stop")
	}
	if tm.Stop() || tm.Reset(time.Millisecond) {
		t.Fatal("a stopped timer said it was armed")
	}
	if fired(tm, 100*time.Millisecond) {
		t.Fatal("a stopped timer fired after Reset")
	}
	// Its goroutine (Linux: the one waiting on the timerfd) ends.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
	}
}

package main

import (
	"testing"
	"time"
)

// The paced phase runs at the rate asked for: 2,000 starts at 2,000/s take
// a second (a ticker took nearly two on an idle process: the runtime's
// timers wake no sooner than 1 ms), never less, each no earlier than its
// time.
func TestPaceKeepsTheRate(t *testing.T) {
	const n, rate = 2000, 2000
	t0 := time.Now()
	var early, count int
	took := pace(n, rate, func(i int) {
		if time.Since(t0) < time.Duration(i)*time.Second/rate {
			early++
		}
		count++
	})
	want := time.Duration(n-1) * time.Second / rate
	if count != n || early > 0 {
		t.Fatalf("started %d of %d, %d before their time", count, n, early)
	}
	if took < want || took > want*7/4 {
		t.Errorf("%d starts at %d/s took %v, want %v (a ticker took twice that; at most three quarters more)", n, rate, took, want)
	}
}

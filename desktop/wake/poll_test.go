package wake

import (
	"testing"
	"time"
)

func TestWatcherSeesSleepAndNetworkChanges(t *testing.T) {
	mono := time.Now()
	wall := mono.Round(0)
	net := "eth0=10.0.0.2/24"
	w := &watcher{mono: func() time.Time { return mono }, wall: func() time.Time { return wall },
		netPrint: func() string { return net }, threshold: 5 * time.Second}
	w.start()
	tick := func(monoD, wallD time.Duration) string {
		mono, wall = mono.Add(monoD), wall.Add(wallD)
		return w.checkClock()
	}
	if r := tick(10*time.Second, 10*time.Second); r != "" {
		t.Fatalf("normal tick: %q", r)
	}
	if r := tick(10*time.Second, 12*time.Second); r != "" {
		t.Fatalf("small drift: %q", r)
	}
	// Asleep for an hour: timers (monotonic) moved 10 s, the wall clock 1 h.
	if r := tick(10*time.Second, time.Hour); r == "" {
		t.Fatal("sleep not seen")
	}
	if r := tick(10*time.Second, 10*time.Second); r != "" {
		t.Fatalf("after wake: %q", r)
	}
	if w.checkNet() {
		t.Fatal("network changed without a change")
	}
	net = "wlan0=192.168.1.5/24"
	if !w.checkNet() {
		t.Fatal("network change not seen")
	}
	if w.checkNet() {
		t.Fatal("one change seen twice")
	}
	if r := tick(10*time.Second, -time.Hour); r == "" {
		t.Fatal("clock set back not seen")
	}
}

func TestFingerprintIsStable(t *testing.T) {
	a := Fingerprint()
	b := Fingerprint()
	if a != b {
		t.Fatalf("fingerprint changes without a network change: %q vs %q", a, b)
	}
}

package server

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/config"
)

// The heartbeat's clock is injected here (a round is beat(bc, now)), so
// these tests say exactly which tick the loop woke at, with no sleeps.

const testInterval = time.Second // 10 slices of heartbeatTick

// at is the moment ticks (a fraction allowed) after start.
func at(start time.Time, ticks float64) time.Time {
	return start.Add(time.Duration(ticks * float64(heartbeatTick)))
}

// A loop held busy past several ticks (the ticker dropped them) pings,
// when it runs again, every slice that fell due meanwhile, once each and
// in the order they fell due; then it goes on a slice a tick.
func TestBeatClockCatchesUpMissedTicks(t *testing.T) {
	start := time.Now()
	bc := newBeatClock(start, testInterval)
	if got := bc.dueAt(at(start, 1)); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("at tick 1: slices %v, want [1]", got)
	}
	// Busy from tick 1 to 6.5: ticks 2-6 were dropped.
	if got := bc.dueAt(at(start, 6.5)); !slices.Equal(got, []uint32{2, 3, 4, 5, 6}) {
		t.Fatalf("after a stall to tick 6.5: slices %v, want [2 3 4 5 6]", got)
	}
	if got := bc.dueAt(at(start, 7)); !slices.Equal(got, []uint32{7}) {
		t.Fatalf("at tick 7: slices %v, want [7]", got)
	}
	// A second wake-up within the same tick pings nothing.
	if got := bc.dueAt(at(start, 7.9)); len(got) != 0 {
		t.Fatalf("woken twice in tick 7: slices %v, want none", got)
	}
}

// A loop more than an interval behind pings each slice once, oldest due
// first, not a round for every interval it missed; and no slice is pinged
// again before an interval has passed since that catch-up.
func TestBeatClockMoreThanARoundBehind(t *testing.T) {
	start := time.Now()
	bc := newBeatClock(start, testInterval)
	bc.dueAt(at(start, 1))
	got := bc.dueAt(at(start, 25.5)) // 2.4 intervals late
	if want := []uint32{6, 7, 8, 9, 0, 1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Fatalf("after a stall to tick 25.5: slices %v, want %v", got, want)
	}
	for tick := 26; tick < 35; tick++ {
		if got := bc.dueAt(at(start, float64(tick))); len(got) != 0 {
			t.Fatalf("at tick %d, less than an interval after the catch-up: slices %v pinged again", tick, got)
		}
	}
	for tick := 35; tick < 50; tick++ {
		if got := bc.dueAt(at(start, float64(tick))); !slices.Equal(got, []uint32{uint32(tick % 10)}) {
			t.Fatalf("at tick %d: slices %v, want [%d]", tick, got, tick%10)
		}
	}
}

// However late the rounds come, no slice is pinged twice within an
// interval, none waits two intervals, and a round pings a slice at most
// once. Seeded, so a failure repeats.
func TestBeatClockBoundsUnderRandomStalls(t *testing.T) {
	const n = 10 // slices in testInterval
	start := time.Now()
	bc := newBeatClock(start, testInterval)
	r := rand.New(rand.NewPCG(1, 2))
	last := make([]int64, n) // the tick each slice was last pinged at
	for i := range last {
		last[i] = -1
	}
	now := 0.0
	for round := 0; round < 5000; round++ {
		// Mostly on time, sometimes a few ticks late, now and then rounds late.
		switch p := r.Float64(); {
		case p < 0.7:
			now = float64(int(now) + 1)
		case p < 0.95:
			now += 1 + r.Float64()*6
		default:
			now += 1 + r.Float64()*30
		}
		tick := int64(now)
		got := bc.dueAt(at(start, now))
		seen := map[uint32]bool{}
		for _, s := range got {
			if seen[s] {
				t.Fatalf("round at tick %.2f pinged slice %d twice: %v", now, s, got)
			}
			seen[s] = true
			if last[s] >= 0 && tick-last[s] < n {
				t.Fatalf("slice %d pinged at tick %d and again at %d: twice in one interval", s, last[s], tick)
			}
			last[s] = tick
		}
		if tick < 2*n {
			continue
		}
		for s, l := range last {
			if tick-l >= 2*n {
				t.Fatalf("at tick %.2f slice %d was last pinged at tick %d: two intervals without a ping", now, s, l)
			}
		}
	}
}

// beat pings the connections of the slices due, once each, and a
// connection that joins while the loop is behind is pinged an interval
// later, not in the catch-up.
func TestBeatPingsEachDueConnectionOnce(t *testing.T) {
	g := &Gateway{cfg: config.Config{Heartbeat: testInterval, MaxMissed: 100, SendQueue: 64},
		clients: make([]map[*client]struct{}, heartbeatSlices(testInterval))}
	for i := range g.clients {
		g.clients[i] = map[*client]struct{}{}
	}
	// Three connections in every slice.
	var all []*client
	for s := range g.clients {
		for range 3 {
			c := &client{g: g, beatSlice: uint32(s)}
			g.clients[s][c] = struct{}{}
			all = append(all, c)
		}
	}
	pings := func(c *client) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := 0
		for _, f := range c.queue {
			if string(f) == string(pingFrame) {
				n++
			}
		}
		return n
	}
	start := time.Now()
	bc := newBeatClock(start, testInterval)
	g.beat(bc, at(start, 1))
	g.beat(bc, at(start, 6.5)) // held busy from tick 1: slices 2-6 due
	for _, c := range all {
		want := 0
		if c.beatSlice >= 1 && c.beatSlice <= 6 {
			want = 1
		}
		if got := pings(c); got != want || int(c.missed.Load()) != want {
			t.Errorf("connection in slice %d: %d pings (missed %d) by tick 6.5, want %d", c.beatSlice, got, c.missed.Load(), want)
		}
	}

	late := &client{g: g}
	if !g.track(late) {
		t.Fatal("track refused")
	}
	for tick := 7; tick < 16; tick++ {
		g.beat(bc, at(start, float64(tick)))
		if n := pings(late); n != 0 {
			t.Fatalf("a connection tracked at tick 6.5 pinged at tick %d", tick)
		}
	}
	g.beat(bc, at(start, 16))
	if n := pings(late); n != 1 {
		t.Fatalf("a connection tracked at tick 6.5 has %d pings at tick 16, want 1 (an interval after the round it joined in)", n)
	}
	// By tick 16: slice 0 at tick 10, slice 1 at 1 and 11, slices 2-5 at
	// 6 only (their ticks 12-15 came less than an interval after the
	// catch-up), slice 6 at 6 and 16, slices 7-9 at 7-9.
	want := []int{1, 2, 1, 1, 1, 1, 2, 1, 1, 1}
	for _, c := range all {
		if got := pings(c); got != want[c.beatSlice] {
			t.Errorf("connection in slice %d: %d pings by tick 16, want %d", c.beatSlice, got, want[c.beatSlice])
		}
	}
}

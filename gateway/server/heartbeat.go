package server

import (
	"time"

	"github.com/gorilla/websocket"
)

// heartbeatTick spreads the pings: every tick pings one slice of the
// clients, and a client joins the slice pinged last, so it is pinged an
// interval after it connected and then every interval, and the pings are
// spread as the connects were, not sent to 15,000 connections at once (a
// burst of 60,000 system calls with the pongs, which held deliveries up
// for ~300 ms).
const heartbeatTick = 100 * time.Millisecond

// heartbeatSlices is how many slices the interval is cut into (1 for an
// interval of a tick or less).
func heartbeatSlices(interval time.Duration) uint32 {
	return uint32(max(1, min(interval/heartbeatTick, 1<<16)))
}

// beatClock says which heartbeat slices are due. Slice n mod slices is
// due n ticks after start: the clock, not the count of ticks received,
// decides, because a Go ticker drops the ticks a busy receiver misses, and
// counting ticks would ping the slices of the dropped ticks a round late
// (and notice their dead peers a round late).
type beatClock struct {
	start  time.Time
	tick   time.Duration
	slices int64
	done   int64   // the ticks up to this one have been handled
	pinged []int64 // by slice, the tick at which it was last pinged

	// A round's scratch, kept from round to round.
	due   []uint32
	batch []*client
}

func newBeatClock(start time.Time, interval time.Duration) *beatClock {
	n := heartbeatSlices(interval)
	bc := &beatClock{start: start, tick: interval / time.Duration(n), slices: int64(n), pinged: make([]int64, n)}
	for i := range bc.pinged {
		bc.pinged[i] = -bc.slices // never: due whenever its tick comes
	}
	return bc
}

// dueAt returns the slices to ping at now, in the order they fell due:
// every slice whose tick has come since the last call, each at most once
// (a loop more than an interval behind pings each slice once, not a round
// per interval missed), and none pinged less than an interval ago (counted
// in ticks): a slice pinged late skips its next tick if that comes sooner,
// so no connection is pinged twice in one interval.
func (bc *beatClock) dueAt(now time.Time) []uint32 {
	bc.due = bc.due[:0]
	t := int64(now.Sub(bc.start) / bc.tick)
	for n := max(bc.done+1, t-bc.slices+1); n <= t; n++ {
		slice := n % bc.slices
		if t-bc.pinged[slice] < bc.slices {
			continue
		}
		bc.pinged[slice] = t
		bc.due = append(bc.due, uint32(slice))
	}
	bc.done = max(bc.done, t)
	return bc.due
}

// heartbeat pings every client each interval and drops the ones that
// missed too many pongs. One loop for all clients instead of a timer each
// keeps idle connections cheap; the ticker only wakes it, the clock says
// what is due.
func (g *Gateway) heartbeat() {
	bc := newBeatClock(time.Now(), g.cfg.Heartbeat)
	// Made after start was read, so no tick comes before its slice's time.
	t := time.NewTicker(bc.tick)
	defer t.Stop()
	for {
		select {
		case <-g.stopBeat:
			return
		case <-t.C:
		}
		g.beat(bc, time.Now())
	}
}

// beat is one round of the heartbeat at now: it pings the clients of the
// slices due, in the order the slices fell due.
func (g *Gateway) beat(bc *beatClock, now time.Time) {
	due := bc.dueAt(now)
	if len(due) == 0 {
		return
	}
	batch := bc.batch[:0]
	g.mu.Lock()
	for _, slice := range due {
		for c := range g.clients[slice] {
			batch = append(batch, c)
		}
	}
	// A client connecting from now on joins the slice of this tick,
	// handled: it is pinged an interval later, not in a catch-up now.
	g.beatSlice = uint32(bc.done % bc.slices)
	g.mu.Unlock()
	for _, c := range batch {
		if int(c.missed.Load()) >= g.cfg.MaxMissed {
			go c.closeWith(websocket.ClosePolicyViolation, "heartbeat timeout", nil)
			continue
		}
		c.missed.Add(1)
		c.Deliver(pingFrame)
	}
	clear(batch)
	bc.batch = batch
}

// Package gcpolicy runs the desktop app's garbage collector without the
// Go runtime's forced collection: with GOGC at its default, the runtime
// collects every 2 minutes once a process has collected at all, and each
// such cycle (and the scavenger after it) wakes the idle app's threads
// about 50 times, a third of its idle wake-ups (issue 17). The forced
// collection exists only while the GC percent is on, so the app runs with
// it off and a memory limit instead, which it sets after each cycle to what
// GOGC=100 would have let the heap grow to: the heap grows no further than
// before, collections still come as it grows, but no timer collects an
// idle heap.
//
// A GOGC or GOMEMLIMIT in the environment is the user's choice: Apply then
// changes nothing.
package gcpolicy

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// minHeapGoal is the runtime's own floor for GOGC=100 (its heapMinimum):
// a small heap is not collected before it reaches 4 MiB.
const minHeapGoal = 4 << 20

// The runtime keeps part of a memory limit in reserve below it (3 %, at
// least 1 MiB; mgcpacer.go's memoryLimitHeapGoalHeadroomPercent and
// memoryLimitMinHeapGoalHeadroom): the limit adds it back so the heap goal
// is GOGC=100's, not smaller.
const (
	headroomPercent = 3
	minHeadroom     = 1 << 20
)

// Apply turns the forced collection off for the rest of the process (see
// the package doc) and says whether it did: false when GOGC or GOMEMLIMIT
// is set in the environment.
func Apply() bool {
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := os.LookupEnv(v); set {
			return false
		}
	}
	p := &policy{samples: make([]metrics.Sample, len(sampleNames))}
	for i, n := range sampleNames {
		p.samples[i].Name = n
	}
	// The limit first: the GC percent off without one would let the heap
	// grow unbounded until the first cycle.
	p.setLimit()
	debug.SetGCPercent(-1)
	p.watch()
	return true
}

// The runtime's figures the limit is made of (runtime/metrics).
var sampleNames = []string{
	"/gc/heap/live:bytes",                 // marked live by the last cycle
	"/gc/scan/stack:bytes",                // stacks scanned by it
	"/gc/scan/globals:bytes",              // globals scanned
	"/memory/classes/total:bytes",         // all memory the runtime mapped
	"/memory/classes/heap/released:bytes", // of it, given back to the OS
	"/memory/classes/heap/free:bytes",     // free heap, still held
	"/memory/classes/heap/objects:bytes",  // heap objects, live or not yet swept
	"/gc/cycles/total:gc-cycles",          // cycles so far
}

// limitCycle is the number of the last cycle the limit was set after (the
// tests wait for it).
var limitCycle atomic.Uint64

type policy struct {
	samples []metrics.Sample // read only by setLimit, one call at a time
}

// setLimit sets the memory limit to the runtime's memory other than the
// heap plus GOGC=100's heap goal after the last cycle.
func (p *policy) setLimit() {
	metrics.Read(p.samples)
	v := func(i int) uint64 { return p.samples[i].Value.Uint64() }
	live, stacks, globals := v(0), v(1), v(2)
	mapped := v(3) - v(4)
	// What the runtime counts as not heap when it turns a limit into a heap
	// goal (memoryLimitHeapGoal): mapped memory other than free heap and
	// heap objects.
	var nonHeap uint64
	if heap := v(5) + v(6); mapped > heap {
		nonHeap = mapped - heap
	}
	goal := HeapGoal(live, stacks, globals)
	limit := Limit(goal, nonHeap)
	// Right after a cycle that freed much (the sweeper and the scavenger
	// still at work) the runtime's own count of its other memory can differ
	// from the metrics' by a few MiB for a while, and the goal with it;
	// correcting the limit by the goal read now overshoots the other way.
	// And for as long as the process still holds more than the limit (the
	// freed heap not yet given back), the runtime takes what is over it off
	// the goal, down to the live heap: the scavenger gives it back within
	// 1-20 ms here, working towards 95 % of the limit, and returns it sooner
	// than under GOGC=100. A limit that counted the held memory in would give
	// GOGC=100's goal at once, but the goal would then grow with each page
	// given back, and the process would keep more than GOGC=100 lets it.
	debug.SetMemoryLimit(limit)
	limitCycle.Store(v(7))
}

// HeapGoal is the heap goal GOGC=100 sets after a cycle that found live
// bytes of heap and scanned stacks and globals: live plus 100 % of what
// was scanned, at least 4 MiB.
func HeapGoal(live, stacks, globals uint64) uint64 {
	return max(live+live+stacks+globals, minHeapGoal)
}

// Limit is the memory limit under which the runtime's heap goal is goal,
// for a process whose memory other than the heap is nonHeap.
func Limit(goal, nonHeap uint64) int64 {
	// goal = g - max(g*3/100, 1 MiB) for the g the limit leaves the heap.
	g := goal + minHeadroom
	if g/100*headroomPercent > minHeadroom {
		g = goal/(100-headroomPercent)*100 + 100
	}
	if l := nonHeap + g; l < math.MaxInt64 {
		return int64(l)
	}
	return math.MaxInt64
}

// cycle is an object made to be collected: its cleanup runs after the
// cycle that found it dead. It holds a pointer so it is never a tiny
// allocation, which the runtime may batch with others and not free.
type cycle struct{ _ *byte }

// watch re-sets the limit after the next cycle, and so after every one.
func (p *policy) watch() {
	runtime.AddCleanup(&cycle{}, func(p *policy) {
		p.setLimit()
		p.watch()
	}, p)
}

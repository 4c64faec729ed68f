package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// withoutGC runs fn with the generator's garbage collector off, after one
// collection, and returns how many collections ran meanwhile (none unless
// something forced one). The paced phase runs so: a collection of the
// generator's heap (its 15,000 readers' stacks are a good part of it) took
// 20 ms with one of the two Ps dedicated to it and the other's idle time
// too, and held up the pacer and the readers for milliseconds, which was
// then measured as the server's latency (one run: 15 dispatches sent late
// at once, each 3.4 ms). Both servers are measured by the same generator,
// so sparing it its pauses is fair to both. The phase allocates a few tens
// of MB, which the collection after it frees.
func withoutGC(fn func()) (cycles uint64) {
	runtime.GC()
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	before := gcCycles()
	fn()
	return gcCycles() - before
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

package main

import "testing"

var sink [][]byte

// Allocating several times the heap inside withoutGC runs no collection
// (with the collector on, 64 MB in 4 KB pieces would run several).
func TestWithoutGCRunsNoCollection(t *testing.T) {
	cycles := withoutGC(func() {
		for range 16 << 10 {
			sink = append(sink, make([]byte, 4<<10))
		}
		sink = nil
	})
	if cycles != 0 {
		t.Errorf("%d garbage collections ran inside withoutGC", cycles)
	}
}

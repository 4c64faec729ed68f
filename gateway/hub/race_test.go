//go:build race

package hub

// raceEnabled: the race detector's instrumentation moves values to the
// heap, so allocation counts are checked without it only.
const raceEnabled = true

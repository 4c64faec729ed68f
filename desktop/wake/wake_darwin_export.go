//go:build darwin && cgo

package wake

// A file of its own: cgo allows only declarations, no C definitions, in
// the preamble of a file with //export.

import "C"

//export wakeDarwinEvent
func wakeDarwinEvent(kind C.int) {
	if kind == 0 {
		darwinHub.send(resumed)
	} else {
		darwinHub.send(clockSet)
	}
}

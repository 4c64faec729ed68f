package shell

// The Go side of the notification delegate (notifydelegate_darwin.go), in
// a file of its own: a cgo file that exports a function may only declare
// in its preamble, and the delegate's preamble defines a class.

import "C"

//export analystNotificationClicked
func analystNotificationClicked(identifier, action *C.char) {
	id, act := C.GoString(identifier), C.GoString(action)
	// Off AppKit's main thread, which called this: the handler may show
	// the window, which Wails queues onto that thread.
	go launchClicks.add(id, act)
}

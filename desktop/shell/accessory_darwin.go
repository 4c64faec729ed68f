package shell

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>

static void analystSetAccessory(void) {
	dispatch_async(dispatch_get_main_queue(), ^{
		[NSApp setActivationPolicy:NSApplicationActivationPolicyAccessory];
	});
}
*/
import "C"

// setAccessory makes the app a menu-bar app with no Dock icon. LSUIElement
// in Info.plist says the same, but Wails sets the Regular policy at launch,
// so it is set again here, on the main queue as AppKit requires.
func setAccessory() { C.analystSetAccessory() }

package tray

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>

// Shows the menu as a right click does: a right mouse-up on the item, which
// systray (systray_darwin.m, v1.12.2) answers by attaching its menu and
// letting AppKit open it in place. systray has no Go call for this.
static void analystShowMenu(void) {
	NSEvent *e = [NSApp currentEvent];
	if (e == nil) return;
	NSEvent *up = [NSEvent mouseEventWithType:NSEventTypeRightMouseUp location:e.locationInWindow
		modifierFlags:0 timestamp:e.timestamp windowNumber:e.windowNumber context:nil
		eventNumber:e.eventNumber clickCount:1 pressure:0];
	[NSApp postEvent:up atStart:NO];
}

// The press being handled: systray calls the tap handler on the main
// thread from inside its event monitor, so this is the mouse-down.
static void analystPress(int *right, int *control) {
	NSEvent *e = [NSApp currentEvent];
	*right = e != nil && e.type == NSEventTypeRightMouseDown;
	*control = e != nil && (e.modifierFlags & NSEventModifierFlagControl) != 0;
}
*/
import "C"

// tapped is systray's tap handler on macOS (see click.go).
func (t *Tray) tapped() {
	var right, control C.int
	C.analystPress(&right, &control)
	switch onPress(right != 0, control != 0) {
	case openPopover:
		t.o.OnOpen()
	case showMenu:
		C.analystShowMenu()
	case leaveToSystray:
	}
}

package shell

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>

typedef struct { double x, y, w, h; } analystRect;

static void analystOnMain(void (^block)(void)) {
	if ([NSThread isMainThread]) {
		block();
	} else {
		dispatch_sync(dispatch_get_main_queue(), block);
	}
}

// The mouse now (the tray was just clicked) and every display's frame and
// visible frame: out[2*i] and out[2*i+1]. Returns how many displays.
static int analystScreens(double *mx, double *my, analystRect *out, int max) {
	__block int n = 0;
	analystOnMain(^{
		NSPoint m = [NSEvent mouseLocation];
		*mx = m.x;
		*my = m.y;
		for (NSScreen *s in [NSScreen screens]) {
			if (n >= max) break;
			NSRect f = s.frame, v = s.visibleFrame;
			out[2*n] = (analystRect){f.origin.x, f.origin.y, f.size.width, f.size.height};
			out[2*n+1] = (analystRect){v.origin.x, v.origin.y, v.size.width, v.size.height};
			n++;
		}
	});
	return n;
}

// Puts Wails' window with its top-left corner at (x, y), on the active
// Space and over full-screen apps. Queued on the main queue, so it runs
// before the WindowShow that follows (Wails queues it there too).
static void analystPlaceWindow(double x, double y) {
	dispatch_async(dispatch_get_main_queue(), ^{
		Class wails = NSClassFromString(@"WailsWindow");
		for (NSWindow *w in [NSApp windows]) {
			if (wails != nil && ![w isKindOfClass:wails]) continue;
			w.collectionBehavior |= NSWindowCollectionBehaviorMoveToActiveSpace |
				NSWindowCollectionBehaviorFullScreenAuxiliary;
			[w setFrameTopLeftPoint:NSMakePoint(x, y)];
			break;
		}
	});
}
*/
import "C"

import "github.com/keboola/analyst-alerts/desktop/popover"

// placeAtStatusItem puts the popover under the menu-bar icon just clicked,
// on the display clicked (Wails' WindowSetPosition would use the display
// the window was last on); the arithmetic is popover.UnderStatusItem.
func placeAtStatusItem() bool {
	const maxDisplays = 16
	var mx, my C.double
	var rects [2 * maxDisplays]C.analystRect
	n := int(C.analystScreens(&mx, &my, &rects[0], maxDisplays))
	displays := make([]popover.Display, n)
	for i := range displays {
		f, v := rects[2*i], rects[2*i+1]
		displays[i] = popover.Display{
			Frame:   popover.Rect{X: float64(f.x), Y: float64(f.y), W: float64(f.w), H: float64(f.h)},
			Visible: popover.Rect{X: float64(v.x), Y: float64(v.y), W: float64(v.w), H: float64(v.h)},
		}
	}
	at, ok := popover.UnderStatusItem(popover.Point{X: float64(mx), Y: float64(my)}, displays)
	if !ok {
		return false
	}
	C.analystPlaceWindow(C.double(at.X), C.double(at.Y))
	return true
}

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

// Wails' app delegate sets the Regular policy in applicationWillFinishLaunching.
// The first moment after that is the did-finish-launching notification,
// posted inside the launch, before the first turn of the run loop.
static void analystAccessoryAtLaunch(void) {
	[[NSNotificationCenter defaultCenter] addObserverForName:NSApplicationDidFinishLaunchingNotification
		object:nil queue:nil usingBlock:^(NSNotification *note) {
			[NSApp setActivationPolicy:NSApplicationActivationPolicyAccessory];
		}];
}
*/
import "C"

// AccessoryAtLaunch makes the app a menu-bar app (no Dock icon) the moment
// the launch finishes. Call it from main before wails.Run. LSUIElement in
// Info.plist says the same, but Wails v2.12 sets the Regular policy in its
// applicationWillFinishLaunching: and offers no option against it; what
// remains is the short time between will-finish and did-finish, in which
// the Dock may draw the icon. did-finish is the first public point after
// Wails' call: a will-finish observer can only be registered before
// wails.Run installs Wails' delegate, and would then likely run before it
// (docs/desktop.md, "Tray").
func AccessoryAtLaunch() { C.analystAccessoryAtLaunch() }

// setAccessory sets the policy again at OnStartup (on the main queue, as
// AppKit requires), should anything have set it back since.
func setAccessory() { C.analystSetAccessory() }

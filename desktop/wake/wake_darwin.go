//go:build darwin && cgo

package wake

/*
#cgo CFLAGS: -x objective-c -fblocks
#cgo LDFLAGS: -framework AppKit
#import <AppKit/AppKit.h>

extern void wakeDarwinEvent(int kind);

// AppKit posts both on the main thread, which Wails runs; the blocks only
// hand the news to Go (wake_darwin_export.go).
static void wakeObserve(void) {
	[[[NSWorkspace sharedWorkspace] notificationCenter] addObserverForName:NSWorkspaceDidWakeNotification
		object:nil queue:nil usingBlock:^(NSNotification *n) { wakeDarwinEvent(0); }];
	[[NSNotificationCenter defaultCenter] addObserverForName:NSSystemClockDidChangeNotification
		object:nil queue:nil usingBlock:^(NSNotification *n) { wakeDarwinEvent(1); }];
}
*/
import "C"

import "sync"

var (
	darwinHub  hub
	darwinOnce sync.Once
)

// osSources on macOS: NSWorkspaceDidWakeNotification (the resume) and
// NSSystemClockDidChangeNotification (the clock set). Network changes have
// no notification this small (SystemConfiguration's dynamic store wants a
// run loop of its own): the fallback looks for them once a minute.
func osSources(e sourceEnv) covers {
	darwinOnce.Do(func() { C.wakeObserve() })
	darwinHub.add(e)
	return covers{sleep: true}
}

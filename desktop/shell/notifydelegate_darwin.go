package shell

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Foundation -framework UserNotifications
#import <Foundation/Foundation.h>
#import <UserNotifications/UserNotifications.h>

extern void analystNotificationClicked(char *identifier, char *action);

// The app's notification delegate until Wails sets its own (its
// InitializeNotifications, and each send after it): it shows banners while
// the app is in front, as Wails' does, and hands a click to Go, with
// Apple's default action named as Wails names it (DEFAULT_ACTION).
@interface AnalystNotificationDelegate : NSObject <UNUserNotificationCenterDelegate>
@end

@implementation AnalystNotificationDelegate
- (void)userNotificationCenter:(UNUserNotificationCenter *)center
       willPresentNotification:(UNNotification *)notification
         withCompletionHandler:(void (^)(UNNotificationPresentationOptions))completionHandler {
	completionHandler(UNNotificationPresentationOptionList | UNNotificationPresentationOptionBanner |
		UNNotificationPresentationOptionSound);
}

- (void)userNotificationCenter:(UNUserNotificationCenter *)center
didReceiveNotificationResponse:(UNNotificationResponse *)response
         withCompletionHandler:(void (^)(void))completionHandler {
	NSString *action = response.actionIdentifier;
	if ([action isEqualToString:UNNotificationDefaultActionIdentifier]) {
		action = @"DEFAULT_ACTION";
	}
	analystNotificationClicked((char *)response.notification.request.identifier.UTF8String, (char *)action.UTF8String);
	completionHandler();
}
@end

// Sets the delegate; false when the process has no bundle identifier (not
// started from the .app: UNUserNotificationCenter would abort it).
static int analystSetNotificationDelegate(void) {
	if ([[NSBundle mainBundle] bundleIdentifier] == nil) {
		return 0;
	}
	static AnalystNotificationDelegate *delegate; // the center does not retain it
	delegate = [AnalystNotificationDelegate new];
	[UNUserNotificationCenter currentNotificationCenter].delegate = delegate;
	return 1;
}
*/
import "C"

import "log/slog"

// NotificationDelegateAtLaunch sets the app's notification delegate. Call
// it from main, on the main thread, before wails.Run: Apple requires the
// delegate before the app finishes launching, or the click on a banner
// that launched the app is never delivered; Wails sets its own only in
// InitializeNotifications, from OnStartup, which runs beside the launch.
// Clicks it receives wait in launchClicks until Started wires the app's
// handler; once Wails has set its delegate, clicks come through Wails.
func NotificationDelegateAtLaunch() {
	if C.analystSetNotificationDelegate() == 0 {
		slog.Warn("no bundle identifier (not started from the .app): notifications unavailable")
	}
}

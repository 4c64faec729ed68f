//go:build !darwin

package shell

// NotificationDelegateAtLaunch: only macOS needs the notification delegate
// before the launch finishes; elsewhere Wails' InitializeNotifications is
// early enough (a click reaches a running app only).
func NotificationDelegateAtLaunch() {}

//go:build !linux

package shell

// OtherInstanceRunning: on macOS and Windows, Wails checks for another
// instance before OnStartup, so a second launch never gets that far.
func OtherInstanceRunning(string) bool { return false }

//go:build !linux

package shell

// OtherInstanceRunning: on macOS and Windows, Wails checks for another
// instance before OnStartup, so a second launch never gets that far.
func OtherInstanceRunning(string) bool { return false }

// HandOver: on macOS and Windows Wails' own single-instance lock hands a
// second launch over before anything starts.
func HandOver(string, []string) (uint32, error) { return 0, nil }

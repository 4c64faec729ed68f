//go:build !darwin

package shell

// placeAtStatusItem: only macOS knows where the tray was clicked (the
// StatusNotifierItem and Windows paths pass no coordinates); Show falls
// back to popover.Position.
func placeAtStatusItem() bool { return false }

// Package popover places the popover window next to the tray icon. The
// tray does not tell where it was clicked (the StatusNotifierItem and
// Windows paths pass no coordinates), so the place follows where each
// platform puts its tray: top right under the menu bar on macOS and on
// common Linux desktops, bottom right above the taskbar on Windows.
package popover

// Size of the popover window.
const (
	Width  = 380
	Height = 560
	margin = 8
)

// Position returns the window's top-left corner inside a usable screen area
// of w x h (Wails' WindowSetPosition is relative to that area).
func Position(goos string, w, h int) (x, y int) {
	x = max(0, w-Width-margin)
	if goos == "windows" {
		return x, max(0, h-Height-margin)
	}
	return x, margin
}

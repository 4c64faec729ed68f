// Package popover places the popover window next to the tray icon. On
// macOS the shell reads the mouse at the click and the displays, and
// UnderStatusItem puts the popover under the clicked menu-bar icon on that
// display. Elsewhere the tray does not tell where it was clicked (the
// StatusNotifierItem and Windows paths pass no coordinates), so Position
// follows where the platform puts its tray: top right on common Linux
// desktops, bottom right above the taskbar on Windows.
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

// Point and Rect are in macOS screen coordinates: points, origin at the
// bottom left of the main display, y going up; other displays may have
// negative coordinates.
type Point struct{ X, Y float64 }

// Rect is a display's area.
type Rect struct{ X, Y, W, H float64 }

func (r Rect) holds(p Point) bool {
	return p.X >= r.X && p.X < r.X+r.W && p.Y >= r.Y && p.Y <= r.Y+r.H
}

// Display is one screen: its whole frame and the part windows may use
// (without the menu bar and the Dock).
type Display struct{ Frame, Visible Rect }

// UnderStatusItem places the popover under a menu-bar item clicked at
// click: on the display clicked, its top just under the menu bar, centred
// on the click but kept inside the usable area (clear of a Dock on the
// side). It returns the window's top-left corner, and false when no
// display holds the click.
func UnderStatusItem(click Point, displays []Display) (topLeft Point, ok bool) {
	for _, d := range displays {
		if !d.Frame.holds(click) {
			continue
		}
		v := d.Visible
		x := click.X - Width/2
		x = min(x, v.X+v.W-Width-margin)
		x = max(x, v.X+margin)
		if v.W < Width+2*margin {
			x = v.X
		}
		return Point{X: x, Y: v.Y + v.H - gap}, true
	}
	return Point{}, false
}

// gap between the menu bar and the popover's top edge.
const gap = 4

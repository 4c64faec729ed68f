//go:build !darwin && !windows

package tray

import "fyne.io/systray"

// setIcon: StatusNotifierItem takes PNG (sent as an ARGB pixmap).
func setIcon(badged bool) {
	if badged {
		systray.SetIcon(icon("bell-badged.png"))
		return
	}
	systray.SetIcon(icon("bell.png"))
}

// setTitle: the StatusNotifierItem's Title, which hosts show as its name.
func setTitle(title string) { systray.SetTitle(title) }

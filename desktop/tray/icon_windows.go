package tray

import "fyne.io/systray"

// setIcon: the Windows notification area wants ICO.
func setIcon(badged bool) {
	if badged {
		systray.SetIcon(icon("bell-badged.ico"))
		return
	}
	systray.SetIcon(icon("bell.ico"))
}

func setTitle(title string) { systray.SetTitle(title) }

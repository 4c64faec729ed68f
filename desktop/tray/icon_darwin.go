package tray

import "fyne.io/systray"

// setIcon: template images, which the menu bar tints for light and dark.
func setIcon(badged bool) {
	if badged {
		systray.SetTemplateIcon(icon("bell-badged-template.png"), icon("bell-badged.png"))
		return
	}
	systray.SetTemplateIcon(icon("bell-template.png"), icon("bell.png"))
}

// setTitle: on macOS a status item's title is text shown next to the icon
// in the menu bar; the bell alone is the norm there (the name is in the
// tooltip).
func setTitle(string) {}

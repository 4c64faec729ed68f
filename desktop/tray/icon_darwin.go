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

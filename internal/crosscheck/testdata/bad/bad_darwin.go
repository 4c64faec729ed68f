package bad

/*
static void analystNothing(void) {}
*/
import "C"

import "fyne.io/systray"

func setIcon(png []byte) {
	C.analystNothing()
	systray.SetTemplateIcon(png) // wrong: it takes the template and the regular icon
}

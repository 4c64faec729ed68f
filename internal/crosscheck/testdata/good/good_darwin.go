package good

/*
#include <stdlib.h>
static int analystAnswer(void) { return 42; }
*/
import "C"

import "fyne.io/systray"

func name() string {
	systray.SetTemplateIcon([]byte{}, []byte{})
	_ = int(C.analystAnswer())
	return "darwin"
}

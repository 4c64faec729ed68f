//go:build !darwin

package tray

// tapped: on Linux and Windows systray reports only the primary click
// (the right click shows the menu on its own).
func (t *Tray) tapped() { t.o.OnOpen() }

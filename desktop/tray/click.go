package tray

// What a press on the status item does. fyne.io/systray (v1.12.2) on macOS
// watches left and right mouse-down on the item and calls the tap handler
// for both, ignoring the Control key; it shows the menu itself on a right
// mouse-up when no secondary handler is set. So without this a right
// click opened the popover and then the menu, and a Control-click opened
// only the popover.
type clickAction int

const (
	openPopover clickAction = iota
	leaveToSystray
	showMenu
)

// onPress decides for a mouse-down on the status item: the right button
// leaves the menu to systray's mouse-up, a Control-click (the Mac's
// right click on a one-button mouse or trackpad) shows the menu, any
// other press opens the popover.
func onPress(rightButton, control bool) clickAction {
	switch {
	case rightButton:
		return leaveToSystray
	case control:
		return showMenu
	default:
		return openPopover
	}
}

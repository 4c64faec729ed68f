package tray

import "testing"

func TestOnPress(t *testing.T) {
	for _, c := range []struct {
		right, control bool
		want           clickAction
	}{
		{false, false, openPopover},
		{true, false, leaveToSystray},
		{true, true, leaveToSystray},
		{false, true, showMenu},
	} {
		if got := onPress(c.right, c.control); got != c.want {
			t.Errorf("right=%v control=%v: %v, want %v", c.right, c.control, got, c.want)
		}
	}
}

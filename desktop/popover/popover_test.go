package popover

import "testing"

func TestPosition(t *testing.T) {
	if x, y := Position("darwin", 1440, 900); x != 1440-Width-8 || y != 8 {
		t.Fatalf("darwin %d,%d", x, y)
	}
	if x, y := Position("windows", 1920, 1040); x != 1920-Width-8 || y != 1040-Height-8 {
		t.Fatalf("windows %d,%d", x, y)
	}
	if x, y := Position("linux", 200, 100); x != 0 || y != 8 {
		t.Fatalf("tiny screen %d,%d", x, y)
	}
}

// A 1440x900 main display with a 25 pt menu bar, and the layouts a Mac
// user has: a display on the left (negative x), one above, a Dock on the
// right.
func TestUnderStatusItem(t *testing.T) {
	main := Display{Frame: Rect{0, 0, 1440, 900}, Visible: Rect{0, 0, 1440, 875}}
	left := Display{Frame: Rect{-1920, 0, 1920, 1080}, Visible: Rect{-1920, 0, 1920, 1055}}
	above := Display{Frame: Rect{0, 900, 2560, 1440}, Visible: Rect{0, 900, 2560, 1415}}
	dockRight := Display{Frame: Rect{0, 0, 1440, 900}, Visible: Rect{0, 0, 1370, 875}}
	for _, c := range []struct {
		name     string
		click    Point
		displays []Display
		want     Point
	}{
		{"centred under the item", Point{700, 890}, []Display{main}, Point{700 - Width/2, 871}},
		{"kept off the right edge", Point{1400, 890}, []Display{main}, Point{1440 - Width - margin, 871}},
		{"kept off the left edge", Point{20, 890}, []Display{main}, Point{margin, 871}},
		{"on the display on the left", Point{-500, 1070}, []Display{main, left}, Point{-500 - Width/2, 1051}},
		{"on the display above", Point{2000, 2330}, []Display{main, above}, Point{2000 - Width/2, 2311}},
		{"clear of a Dock on the right", Point{1400, 890}, []Display{dockRight}, Point{1370 - Width - margin, 871}},
		{"a display narrower than the popover", Point{100, 590}, []Display{{Frame: Rect{0, 0, 300, 600}, Visible: Rect{0, 0, 300, 575}}}, Point{0, 571}},
	} {
		got, ok := UnderStatusItem(c.click, c.displays)
		if !ok || got != c.want {
			t.Errorf("%s: %v %v, want %v", c.name, got, ok, c.want)
		}
	}
	if _, ok := UnderStatusItem(Point{5000, 5000}, []Display{main, left}); ok {
		t.Error("a click on no display placed the popover")
	}
}

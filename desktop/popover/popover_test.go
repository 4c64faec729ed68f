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

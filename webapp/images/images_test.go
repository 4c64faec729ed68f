package images

import "testing"

func TestNames(t *testing.T) {
	s := Store{Dir: "/data/images"}
	if p, err := s.Path("3f2a_b-1.png"); err != nil || p != "/data/images/3f2a_b-1.png" {
		t.Fatalf("%q %v", p, err)
	}
	for _, bad := range []string{"../x.png", "x.jpg", "a/b.png", ".png", "x.png\x00", "x.png.png", "..png"} {
		if _, err := s.Path(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

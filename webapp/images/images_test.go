package images

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	s := Store{Dir: "/data/images"}
	for _, good := range []string{"3f2a_b-1.png", "0123456789abcdef0123456789abcdef.jpg"} {
		if p, err := s.Path(good); err != nil || p != "/data/images/"+good {
			t.Fatalf("%q %v", p, err)
		}
	}
	for _, bad := range []string{"../x.png", "x.gif", "x.jpeg", "a/b.png", ".png", "x.png\x00", "x.png.png", "..png", ".incoming-1"} {
		if _, err := s.Path(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Nothing publishes as root: a root-owned file in the folder is not served
// by a webapp that is not root itself (tests and a root dev run are).
func TestOwnerMayPublish(t *testing.T) {
	for _, tc := range []struct {
		uid, self int
		want      bool
	}{{1000, 33, true}, {33, 33, true}, {0, 33, false}, {0, 0, true}, {1000, 0, true}} {
		if got := OwnerMayPublish(tc.uid, tc.self); got != tc.want {
			t.Errorf("owner %d, webapp %d: %v", tc.uid, tc.self, got)
		}
	}
}

// checkOpened on a real file: as a webapp that is not root, a file owned by
// root (what these tests write when they run as root) is refused.
func TestCheckOpenedOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs files owned by root")
	}
	dir := t.TempDir()
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	if err := os.WriteFile(filepath.Join(dir, "a.png"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := Store{Dir: dir}.Open("a.png")
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := checkOpened(img, "a.png", 33); err == nil || !strings.Contains(err.Error(), "owned by uid 0") {
		t.Fatalf("root-owned file for a webapp running as uid 33: %v", err)
	}
}

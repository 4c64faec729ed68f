package images

import (
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestImportOnlyRealImages(t *testing.T) {
	dir := t.TempDir()
	s := Store{Dir: filepath.Join(dir, "images")}
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("DESKTOP_JWT_SECRET=hunter2"), 0o600)
	if _, err := s.Import(secret); err == nil {
		t.Fatal("a text file was imported as a chart")
	}
	j := filepath.Join(dir, "c.jpg")
	f, _ := os.Create(j)
	jpeg.Encode(f, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil)
	f.Close()
	name, err := s.Import(j)
	if err != nil || !ValidName(name) {
		t.Fatalf("%q %v", name, err)
	}
	p, _ := s.Path(name)
	g, _ := os.Open(p)
	defer g.Close()
	if _, err := png.Decode(g); err != nil {
		t.Fatal("imported JPEG is not stored as PNG")
	}
	for _, bad := range []string{"../x.png", "x.jpg", "a/b.png", ".png", "x.png\x00"} {
		if _, err := s.Path(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

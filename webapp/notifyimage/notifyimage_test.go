package notifyimage

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func encoded(t *testing.T, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 20, 10))
	img.Set(3, 3, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The images folder is created if missing, but never a tree of folders: a
// missing parent (the production default, by hand) is an error naming
// NOTIFICATION_IMAGES_DIR, and nothing is created.
func TestPublishCreatesOnlyTheFolderItself(t *testing.T) {
	src := filepath.Join(t.TempDir(), "chart.png")
	if err := os.WriteFile(src, encoded(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	deep := filepath.Join(root, "data", "notifications", "images")
	if _, err := Publish(src, deep, 0); err == nil || !strings.Contains(err.Error(), "NOTIFICATION_IMAGES_DIR") {
		t.Fatalf("publish into %s: %v", deep, err)
	}
	if _, err := os.Stat(filepath.Join(root, "data")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a folder tree was created: %v", err)
	}
	if _, err := Publish(src, filepath.Join(root, "images"), 0); err != nil {
		t.Fatalf("publish into a missing folder whose parent exists: %v", err)
	}
}

func TestPublish(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "images")
	pngData := encoded(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) })
	jpgData := encoded(t, func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) })
	write := func(name string, data []byte) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// A JPEG named .png is still taken, as a .jpg: the content decides.
	for path, ext := range map[string]string{write("chart.png", pngData): ".png", write("photo.png", jpgData): ".jpg"} {
		p, err := Publish(path, dst, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32}\`+ext+`$`).MatchString(p.Name) || p.URL != "/api/notifications/images/"+p.Name {
			t.Fatalf("published as %+v", p)
		}
		got, err := os.ReadFile(p.Path)
		if err != nil || !bytes.Equal(got, map[string][]byte{".png": pngData, ".jpg": jpgData}[ext]) {
			t.Fatalf("copy differs: %v", err)
		}
		if fi, _ := os.Stat(p.Path); fi.Mode().Perm() != 0o644 {
			t.Fatalf("mode %v", fi.Mode())
		}
	}

	for name, tc := range map[string]struct {
		path string
		max  int64
		want string
	}{
		"missing":   {filepath.Join(src, "nope.png"), 0, "no such file"},
		"relative":  {"chart.png", 0, "absolute path"},
		"text":      {write("notes.png", []byte("hello, not an image")), 0, "not a PNG or JPEG"},
		"svg":       {write("x.png", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")), 0, "not a PNG or JPEG"},
		"truncated": {write("cut.png", pngData[:len(pngData)/2]), 0, "damaged png"},
		"too big":   {write("big.png", pngData), int64(len(pngData) - 1), "allowed"},
		"folder":    {src, 0, "not a regular file"},
	} {
		_, err := Publish(tc.path, dst, tc.max)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrRefused containing %q", name, err, tc.want)
		}
	}
	entries, _ := os.ReadDir(dst)
	if len(entries) != 2 {
		t.Fatalf("images folder holds %d files, want the 2 taken", len(entries))
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old := now.Add(-31 * 24 * time.Hour)
	files := map[string]time.Time{
		"0123456789abcdef0123456789abcdef.png":         old, // removed
		"fedcba9876543210fedcba9876543210.jpg":         now, // recent: kept
		".incoming-123":                                old, // abandoned temp file: removed
		".0123456789abcdef0123456789abcdef.jpg.tmp-42": old, // abandoned atomicfile temp: removed
		".keep-me.png.tmp-42":                          old, // not ours: kept
		"keep-me.png":                                  old, // not ours: kept
	}
	for name, mtime := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	n, err := Prune(dir, DefaultMaxAge, now)
	if err != nil || n != 3 {
		t.Fatalf("removed %d, %v", n, err)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != ".keep-me.png.tmp-42,fedcba9876543210fedcba9876543210.jpg,keep-me.png" {
		t.Fatalf("left %v", names)
	}
	if n, err := Prune(filepath.Join(dir, "missing"), DefaultMaxAge, now); n != 0 || err != nil {
		t.Fatalf("missing folder: %d %v", n, err)
	}
}

// Package images holds the chart images served at
// /api/notifications/images/<name>.png: a flat folder (DATA_DIR/images),
// names checked against a strict pattern before any file is touched.
package images

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // charts may be JPEG; they are re-encoded as PNG
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}\.png$`)

// ValidName reports whether name may name a served image.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// MaxSourceBytes bounds an image a script points at.
const MaxSourceBytes = 16 << 20

// Store is the images folder.
type Store struct{ Dir string }

// Path returns the file for a valid name.
func (s Store) Path(name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("invalid image name %q", name)
	}
	return filepath.Join(s.Dir, name), nil
}

// Import copies a chart a script produced into the folder under a fresh
// random name and returns that name. The file is decoded and re-encoded as
// PNG: only a real PNG or JPEG image gets in, so a script cannot point
// image_path at some other file the webapp can read and have it served.
func (s Store) Import(src string) (string, error) {
	f, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("open chart: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(io.LimitReader(f, MaxSourceBytes))
	if err != nil {
		return "", fmt.Errorf("chart %s is not a PNG or JPEG image: %w", filepath.Base(src), err)
	}
	if err := os.MkdirAll(s.Dir, 0o770); err != nil {
		return "", fmt.Errorf("create images folder: %w", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	name := hex.EncodeToString(b) + ".png"
	tmp, err := os.CreateTemp(s.Dir, ".import-*")
	if err != nil {
		return "", fmt.Errorf("write chart: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := png.Encode(tmp, img); err != nil {
		tmp.Close()
		return "", fmt.Errorf("encode chart: %w", err)
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, name)); err != nil {
		return "", fmt.Errorf("store chart: %w", err)
	}
	return name, nil
}

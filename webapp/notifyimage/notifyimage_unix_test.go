//go:build unix

package notifyimage

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An image_path that is a FIFO, a device or a symbolic link (even to a
// good chart) is refused at once: a FIFO used to block Publish in open(2)
// past the script's timeout, holding the runner's lock.
func TestPublishRefusesFIFODeviceAndLinkWithoutBlocking(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "images")
	good := filepath.Join(src, "chart.png")
	if err := os.WriteFile(good, encoded(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(src, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(src, "link.png")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{fifo: "not a regular file", "/dev/zero": "not a regular file", link: "symbolic link"} {
		done := make(chan error, 1)
		go func() { _, err := Publish(path, dst, 0); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want ErrRefused containing %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Publish blocked", path)
		}
	}
	if entries, _ := os.ReadDir(dst); len(entries) != 0 {
		t.Fatalf("images folder holds %d files", len(entries))
	}
}

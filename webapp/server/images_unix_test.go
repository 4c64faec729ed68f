//go:build unix

package server_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The images folder is writable by every analyst. What one plants there is
// not served: a symbolic link to a file the webapp can read, a FIFO (which
// used to hold the request in open(2) for ever), a hard link, a file that
// is not the image its name says. Published PNG and JPEG charts are.
func TestImagesServesOnlyPublishedCharts(t *testing.T) {
	e := newEnv(t, envOpts{})
	dir := filepath.Join(e.dataDir, "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pngData, err := os.ReadFile(e.chart())
	if err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	put := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	put("0123456789abcdef0123456789abcdef.png", pngData)
	put("0123456789abcdef0123456789abcdef.jpg", jpg.Bytes())
	put("notimage.png", []byte("#!/bin/sh\necho secret\n"))
	put("jpeginside.png", jpg.Bytes())
	// A secret the webapp can read (its own data) behind a link and a hard link.
	secret := filepath.Join(e.dataDir, "secret.png")
	if err := os.WriteFile(secret, pngData, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(secret, filepath.Join(dir, "hard.png")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Should a handler be stuck reading the FIFO, a writer that comes and
	// goes frees it, so the server's Close at the end of the test returns.
	t.Cleanup(func() {
		if fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			syscall.Close(fd)
		}
	})

	c := e.signIn("ana@example.com")
	c.Timeout = 10 * time.Second // a request stuck in open(2) fails, not hangs
	for name, ct := range map[string]string{"0123456789abcdef0123456789abcdef.png": "image/png", "0123456789abcdef0123456789abcdef.jpg": "image/jpeg"} {
		a := e.do(c, http.MethodGet, protocol.PathImagesPrefix+name, "")
		if a.status != 200 || a.header.Get("Content-Type") != ct || a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %v", name, a.status, a.header.Get("Content-Type"))
		}
	}
	for _, name := range []string{"link.png", "hard.png", "fifo.png", "notimage.png", "jpeginside.png"} {
		start := time.Now()
		a := e.do(c, http.MethodGet, protocol.PathImagesPrefix+name, "")
		if a.status != 404 || time.Since(start) > 5*time.Second {
			t.Errorf("%s: %d after %v, want a quick 404", name, a.status, time.Since(start))
		}
	}
	for _, want := range []string{"symbolic link", "hard links", "not a regular file", "not image/png"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, e.logs.String())
		}
	}
}

//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// An image_path that is a FIFO, a device or a symbolic link is refused at
// once (image_error) and the alert still answers: a FIFO used to block the
// helper in open(2) past the webapp's timeout.
func TestRunImagePathFIFODeviceLink(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(dir, "chart.png")
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)))
	if err := os.WriteFile(chart, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(chart, link); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{fifo: "not a regular file", "/dev/zero": "not a regular file", link: "symbolic link"} {
		e.script("x.py", `import json; print(json.dumps({"notify": True, "title": "t", "image_path": `+strconv.Quote(path)+`}))`)
		start := time.Now()
		code, out := e.run(nil, "run", "x.py")
		var r notifyscript.RunResult
		_ = json.Unmarshal(out, &r)
		if code != 0 || !r.Notify || r.ImageURL != "" || !strings.Contains(r.ImageError, want) || time.Since(start) > 30*time.Second {
			t.Fatalf("%s: exit %d after %v: %s", path, code, time.Since(start), out)
		}
	}
}

//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An image_path naming a FIFO or a symbolic link is refused without
// blocking: the FIFO used to hold the runner in open(2) for ever (past any
// script timeout, with the user's lock held, so every later run was
// skipped). The alerts go out without the image, and the next run is not
// locked out.
func TestImagePathFIFOAndLinkDoNotBlockTheRunner(t *testing.T) {
	e := newEnv(t)
	a := e.connectApp()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "chart.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	chart, _ := writePNG(t)
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(chart, link); err != nil {
		t.Fatal(err)
	}
	e.alert("a_fifo.py", map[string]any{"notify": true, "title": "fifo", "image_path": fifo, "cooldown": "0"})
	e.alert("b_link.py", map[string]any{"notify": true, "title": "link", "image_path": link, "cooldown": "0"})
	for run := 0; run < 2; run++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, binary)
		cmd.Env = e.vars
		start := time.Now()
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil || time.Since(start) > 30*time.Second {
			t.Fatalf("run %d: %v after %v:\n%s", run, err, time.Since(start), out)
		}
		for _, want := range []string{"not a regular file", "symbolic link", "notified=2"} {
			if !strings.Contains(string(out), want) {
				t.Fatalf("run %d: output lacks %q:\n%s", run, want, out)
			}
		}
		for _, title := range []string{"fifo", "link"} {
			if n := a.next(); n.Title != title || n.ImageURL != "" {
				t.Fatalf("run %d: %+v, want %q without image", run, n, title)
			}
		}
	}
}

//go:build unix

package notifyscript

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO or a symbolic link in place of a state file is an error at once,
// never a read that blocks the runner (or the helper the webapp waits on).
func TestLoadStateRefusesFIFOAndLinkWithoutBlocking(t *testing.T) {
	h := Home(t.TempDir())
	if err := os.MkdirAll(h.StateDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(h.StateDir(), "fifo.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(h.StateDir(), "link.json")); err != nil {
		t.Fatal(err)
	}
	for stem, want := range map[string]string{"fifo": "not a regular file", "link": "symbolic link"} {
		done := make(chan error, 1)
		go func() { _, err := h.LoadState(stem); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) || CodeOf(err) != CodeInternal {
				t.Errorf("%s: %v, want an error containing %q", stem, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: LoadState blocked", stem)
		}
		// Saving replaces it with a real state file.
		now := time.Now()
		if err := h.SaveState(stem, State{LastRun: &now}); err != nil {
			t.Fatal(err)
		}
		if st, err := h.LoadState(stem); err != nil || st.LastRun == nil {
			t.Fatalf("%s after save: %+v %v", stem, st, err)
		}
	}
}

//go:build unix

package safeopen

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// within runs f and fails the test if it has not returned after a few
// seconds, so a regression that blocks in open(2) fails instead of hanging.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked: the open did not return within 5 s")
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "chart.png")
	if err := os.WriteFile(file, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	fifoLink := filepath.Join(dir, "fifolink.png")
	if err := os.Symlink(fifo, fifoLink); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.png")
	if err := os.Link(file, hard); err != nil {
		t.Fatal(err)
	}

	within(t, func() {
		data, err := ReadFile(file, 10)
		if err != nil || string(data) != "0123456789" {
			t.Errorf("regular file: %q %v", data, err)
		}
		f, fi, err := Open(hard, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if Links(fi) != 2 {
			t.Errorf("hard link: %d links", Links(fi))
		}
		if uid, ok := Owner(fi); !ok || uid != os.Geteuid() {
			t.Errorf("owner %d %v", uid, ok)
		}
		// The file is back in blocking mode: reading it works as usual.
		if b, err := io.ReadAll(f); err != nil || len(b) != 10 {
			t.Errorf("read: %d %v", len(b), err)
		}
	})
	for _, tc := range []struct {
		path string
		want error
	}{
		{link, ErrSymlink},
		{fifoLink, ErrSymlink},
		{fifo, ErrNotRegular},
		{dir, ErrNotRegular},
		{"/dev/null", ErrNotRegular},
		{filepath.Join(dir, "missing.png"), fs.ErrNotExist},
	} {
		within(t, func() {
			if _, _, err := Open(tc.path, 0); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.path, err, tc.want)
			}
			if _, err := ReadFile(tc.path, 100); !errors.Is(err, tc.want) {
				t.Errorf("ReadFile %s: %v, want %v", tc.path, err, tc.want)
			}
		})
	}
	if _, err := ReadFile(file, 9); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
}

// The first look (lstat) can be raced: the path becomes a FIFO or a link
// between it and the open. The open itself must then neither block nor
// follow.
func TestOpenCheckedWithoutTheFirstLook(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	within(t, func() {
		if _, err := openChecked(fifo); !errors.Is(err, ErrNotRegular) {
			t.Errorf("fifo: %v", err)
		}
		if _, err := openChecked(link); !errors.Is(err, ErrSymlink) {
			t.Errorf("link: %v", err)
		}
		f, err := openChecked(secret)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(f); err != nil || b.String() != "secret" {
			t.Errorf("regular: %q %v", b.String(), err)
		}
	})
}

package unixsock

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run", "x.sock")

	// A new folder and socket, 0770.
	ln, err := Listen(path, "test", -1)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o770 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	// A live server's socket is not taken over.
	if _, err := Listen(path, "test", -1); err == nil || !strings.Contains(err.Error(), "another test is already serving") {
		t.Fatalf("second listener on a live socket: %v", err)
	}
	// A stale socket (its server gone without removing it) is replaced.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the stale socket should still be there: %v", err)
	}
	ln, err = Listen(path, "test", -1)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()
	// A file that is not a socket is never replaced.
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(plain, "test", -1); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("plain file: %v", err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep" {
		t.Fatal("the plain file was touched")
	}
}

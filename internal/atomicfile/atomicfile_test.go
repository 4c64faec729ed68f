package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesAndLeavesNoTemporaryFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	p := filepath.Join(dir, "state.json")
	if err := Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("content %q, %v", b, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
}

func TestWriteFailsClearlyWhenFolderIsAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if err := Write(filepath.Join(f, "x.json"), []byte("x"), 0o600); err == nil {
		t.Fatal("expected an error")
	}
}

func TestTempOf(t *testing.T) {
	for name, want := range map[string]string{".state.json.tmp-123": "state.json", ".a.tmp-b.tmp-7": "a.tmp-b"} {
		if got, ok := TempOf(name); !ok || got != want {
			t.Errorf("TempOf(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"state.json", ".state.json", ".state.json.tmp-", ".state.json.tmp-x1", "state.json.tmp-1", "..tmp-1"} {
		if got, ok := TempOf(name); ok {
			t.Errorf("TempOf(%q) = %q: not a temporary file", name, got)
		}
	}
	// A write that fails at its rename leaves no temporary file behind.
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	if err := os.Mkdir(p, 0o700); err != nil { // the rename onto a folder fails
		t.Fatal(err)
	}
	if err := Write(p, []byte("x"), 0o600); err == nil {
		t.Fatal("replacing a folder succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("a failed write left %v", ents)
	}
}

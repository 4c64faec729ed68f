package notifyrunner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestLogFileStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runner.log")
	line := bytes.Repeat([]byte("x"), 99)
	line = append(line, '\n')
	for round := 0; round < 3; round++ {
		l := &LogFile{Path: path, Max: 1000}
		for i := 0; i < 25; i++ {
			if _, err := l.Write(line); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.Stat(path + ".1")
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if cur.Size() > 1000 || old.Size() > 1000 || len(entries) != 2 {
		t.Fatalf("log %d bytes, previous %d bytes, %d files", cur.Size(), old.Size(), len(entries))
	}
	// 75 lines written, 10 per file: the newest 5 are in runner.log.
	if cur.Size() != 500 || old.Size() != 1000 {
		t.Fatalf("sizes %d / %d, want 500 / 1000", cur.Size(), old.Size())
	}
}

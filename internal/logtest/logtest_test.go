package logtest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHasLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	if HasLine(path, "x") {
		t.Fatal("a missing file has a line")
	}
	os.WriteFile(path, []byte("level=INFO msg=connected user=petr\nlevel=WARN msg=slow\n"), 0o644)
	for _, tc := range []struct {
		parts []string
		want  bool
	}{
		{[]string{"connected", "petr"}, true},
		{[]string{"msg=slow"}, true},
		{[]string{"connected", "slow"}, false}, // on two lines, not one
		{[]string{"jana"}, false},
	} {
		if got := HasLine(path, tc.parts...); got != tc.want {
			t.Errorf("HasLine(%q) = %v, want %v", tc.parts, got, tc.want)
		}
	}
}

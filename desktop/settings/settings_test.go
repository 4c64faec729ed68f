package settings

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTripAndBadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "settings.json")
	if s, err := Load(p); err != nil || s.ServerURL != "" {
		t.Fatalf("missing file: %+v %v", s, err)
	}
	if err := Save(p, Settings{ServerURL: "https://a.example"}); err != nil {
		t.Fatal(err)
	}
	if s, err := Load(p); err != nil || s.ServerURL != "https://a.example" {
		t.Fatalf("%+v %v", s, err)
	}
	os.WriteFile(p, []byte("{"), 0o600)
	if _, err := Load(p); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

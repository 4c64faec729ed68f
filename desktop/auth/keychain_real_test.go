package auth

import (
	"errors"
	"os"
	"testing"
)

// TestRealSecretService stores, reads and deletes the token in a real
// Secret Service. scripts/test.d/30-desktop.sh runs it inside a private
// D-Bus session with an unlocked gnome-keyring (ANALYST_REAL_KEYRING=1);
// plain `go test` has no Secret Service to talk to.
func TestRealSecretService(t *testing.T) {
	if os.Getenv("ANALYST_REAL_KEYRING") != "1" {
		t.Skip("needs a Secret Service: run by scripts/test.d/30-desktop.sh")
	}
	kc := OSKeychain{Service: "com.keboola.analyst.test"}
	if err := kc.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Get(); !errors.Is(err, ErrNoToken) {
		t.Fatalf("empty keychain: %v", err)
	}
	const tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwZXRyIn0.sig"
	if err := kc.Set(tok); err != nil {
		t.Fatal(err)
	}
	if got, err := kc.Get(); err != nil || got != tok {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := kc.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Get(); !errors.Is(err, ErrNoToken) {
		t.Fatalf("after delete: %v", err)
	}
}

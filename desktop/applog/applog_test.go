package applog

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwZXRyIn0.c2lnbmF0dXJl"

func TestNoTokenReachesTheLogFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	log, closer, err := Open(dir, slog.LevelDebug, nil)
	if err != nil {
		t.Fatal(err)
	}
	log = log.With(slog.String("category", "WebSocket"), slog.String("url", "ws://x/?t="+tok))
	log.Info("connect with "+tok, slog.String("token", "anything"), slog.Any("error", errors.New("bad token "+tok)),
		slog.String("link", "keboola-analyst://auth?token="+tok))
	closer.Close()
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "c2lnbmF0dXJl") || strings.Contains(s, "eyJzdWIi") {
		t.Fatalf("token in log: %s", s)
	}
	for _, want := range []string{`"subsystem":"com.keboola.analyst"`, `"category":"WebSocket"`, "[redacted token]", `"token":"[redacted]"`} {
		if !strings.Contains(s, want) {
			t.Errorf("log lacks %s: %s", want, s)
		}
	}
}

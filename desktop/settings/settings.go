// Package settings keeps what the user sets in the app (the server
// address) in the config folder, written atomically.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/keboola/analyst-alerts/internal/atomicfile"
)

// Settings are the user's choices.
type Settings struct {
	ServerURL string `json:"server_url"`
}

// Load reads path; a missing file gives zero Settings.
func Load(path string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("settings file %s is not valid JSON: %w", path, err)
	}
	return s, nil
}

// Save writes s to path atomically.
func Save(path string, s Settings) error {
	b, _ := json.MarshalIndent(s, "", " ")
	return atomicfile.Write(path, b, 0o600)
}

package config

import (
	"errors"
	"path/filepath"
)

// folders uses %APPDATA% for settings and %LOCALAPPDATA% for cache and logs.
func folders(get func(string) string) (dirs, error) {
	roaming, local := get("APPDATA"), get("LOCALAPPDATA")
	if roaming == "" || local == "" {
		return dirs{}, errors.New("APPDATA and LOCALAPPDATA must be set")
	}
	return dirs{
		config: filepath.Join(roaming, AppID),
		cache:  filepath.Join(local, AppID, "cache"),
		log:    filepath.Join(local, AppID, "logs"),
	}, nil
}

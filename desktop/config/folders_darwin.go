package config

import (
	"errors"
	"path/filepath"
)

// folders uses the macOS locations: Application Support, Caches, Logs.
func folders(get func(string) string) (dirs, error) {
	home := get("HOME")
	if home == "" {
		return dirs{}, errors.New("HOME is not set")
	}
	lib := filepath.Join(home, "Library")
	return dirs{
		config: filepath.Join(lib, "Application Support", AppID),
		cache:  filepath.Join(lib, "Caches", AppID),
		log:    filepath.Join(lib, "Logs", AppID),
	}, nil
}

//go:build !darwin && !windows

package config

import (
	"errors"
	"path/filepath"
)

// folders follows the XDG base directory spec.
func folders(get func(string) string) (dirs, error) {
	home := get("HOME")
	pick := func(env, fallback string) (string, error) {
		if v := get(env); filepath.IsAbs(v) {
			return filepath.Join(v, AppID), nil
		}
		if home == "" {
			return "", errors.New("HOME is not set and " + env + " is not an absolute path")
		}
		return filepath.Join(home, fallback, AppID), nil
	}
	var d dirs
	var err error
	if d.config, err = pick("XDG_CONFIG_HOME", ".config"); err != nil {
		return d, err
	}
	if d.cache, err = pick("XDG_CACHE_HOME", ".cache"); err != nil {
		return d, err
	}
	if d.log, err = pick("XDG_STATE_HOME", filepath.Join(".local", "state")); err != nil {
		return d, err
	}
	d.log = filepath.Join(d.log, "logs")
	return d, nil
}

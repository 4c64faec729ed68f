// Package atomicfile writes a file so that a reader (or the next launch after
// a crash) sees either the old content or the new, never half of it: the
// one such write for the desktop app (settings, notifications, chart cache)
// and the webapp's tools (links, script state, published charts).
//
// Hand-written rather than google/renameio because renameio does not support
// Windows, and this app runs there too; os.Rename replaces the target
// atomically on every platform we ship (MoveFileEx on Windows).
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempInfix is in every temporary file's name: "." + the target's name +
// tempInfix + digits (os.CreateTemp's), in the target's folder.
const tempInfix = ".tmp-"

// Write stores data at path with mode perm, creating the folder (0700).
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	ok = true
	return nil
}

// TempOf says whether name (a file name, no folder) is a temporary file of
// Write, left behind by a crash, and for which target name: a cleaner can
// remove it when it would remove the target.
func TempOf(name string) (target string, ok bool) {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, tempInfix)
	if i <= 0 {
		return "", false
	}
	digits := rest[i+len(tempInfix):]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return rest[:i], true
}

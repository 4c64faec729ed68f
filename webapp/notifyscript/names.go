package notifyscript

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// MaxNameBytes bounds a script name.
const MaxNameBytes = 128

// A script name is a plain file name: letters, digits, '_', '-', '.', not
// starting with a dot, ending in ".py". No path, no spaces, nothing a shell
// or a URL could read differently.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\.py$`)

// ValidName checks that name is a plain "<stem>.py" script name. It is called
// on every name that comes from a request before the name touches the disk.
func ValidName(name string) error {
	switch {
	case name == "":
		return newError(CodeBadName, "script name is empty", nil)
	case len(name) > MaxNameBytes:
		return newError(CodeBadName, fmt.Sprintf("script name is longer than %d bytes", MaxNameBytes), nil)
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return newError(CodeBadName, fmt.Sprintf("script name %q must be a file name, not a path", name), nil)
	case !strings.HasSuffix(name, ".py"):
		return newError(CodeBadName, fmt.Sprintf("script name %q must end in .py", name), nil)
	case !nameRE.MatchString(name):
		return newError(CodeBadName, fmt.Sprintf("script name %q may hold only letters, digits, '_', '-' and '.', and must not start with '.' or '-'", name), nil)
	}
	return nil
}

// Stem is the name without ".py": the script's id in notifications and the
// name of its state file.
func Stem(name string) string { return strings.TrimSuffix(name, ".py") }

// Home locates a user's scripts and their state inside a home folder.
type Home string

// ScriptsDir holds the user's scripts: ~/user/notifications.
func (h Home) ScriptsDir() string { return filepath.Join(string(h), "user", "notifications") }

// StateDir holds one <stem>.json per script: ~/.notifications/state.
func (h Home) StateDir() string { return filepath.Join(string(h), ".notifications", "state") }

// LogsDir holds the runner's log: ~/.notifications/logs.
func (h Home) LogsDir() string { return filepath.Join(string(h), ".notifications", "logs") }

// LockPath is the file notify-runner locks so two runs never overlap.
func (h Home) LockPath() string { return filepath.Join(string(h), ".notifications", "runner.lock") }

// Venv is the user's own Python (~/.venv/bin/python), used when present.
func (h Home) Venv() string { return filepath.Join(string(h), ".venv", "bin", "python") }

// ScriptPath is the path of a script; name must have passed ValidName.
func (h Home) ScriptPath(name string) string { return filepath.Join(h.ScriptsDir(), name) }

// Scripts lists the runnable scripts, in name order: regular files (or
// links to them) with a valid name. Names that fail ValidName are returned
// in skipped so a caller can say why they were left out. A missing folder is
// an empty list.
func (h Home) Scripts() (names, skipped []string, err error) {
	entries, err := os.ReadDir(h.ScriptsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, newError(CodeInternal, "cannot read the scripts folder", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".py") {
			continue
		}
		if ValidName(e.Name()) != nil {
			skipped = append(skipped, e.Name())
			continue
		}
		fi, err := os.Stat(h.ScriptPath(e.Name()))
		if err != nil || !fi.Mode().IsRegular() {
			skipped = append(skipped, e.Name())
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, skipped, nil
}

// Find checks that name is valid and names an existing script.
func (h Home) Find(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	p := h.ScriptPath(name)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", newError(CodeNotFound, fmt.Sprintf("no script %q in %s", name, h.ScriptsDir()), nil)
	}
	if err != nil {
		return "", newError(CodeInternal, fmt.Sprintf("cannot read script %q", name), err)
	}
	if !fi.Mode().IsRegular() {
		return "", newError(CodeNotFound, fmt.Sprintf("%q is not a regular file", name), nil)
	}
	return p, nil
}

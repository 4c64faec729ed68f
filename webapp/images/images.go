// Package images holds the chart images served at
// /api/notifications/images/<name>.png: a flat folder (DATA_DIR/images)
// that the notify tools publish into (they decode and re-encode each chart,
// see webapp/notifyimage); names are checked against a strict pattern before
// any file is touched.
package images

import (
	"fmt"
	"path/filepath"
	"regexp"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}\.png$`)

// ValidName reports whether name may name a served image.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Store is the images folder.
type Store struct{ Dir string }

// Path returns the file for a valid name.
func (s Store) Path(name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("invalid image name %q", name)
	}
	return filepath.Join(s.Dir, name), nil
}

// Package images holds the chart images served at
// /api/notifications/images/<name>: a flat folder (DATA_DIR/images) that
// the notify tools publish into as the analysts (they decode each chart and
// copy it under a random name, see webapp/notifyimage). Every analyst can
// write the folder, so nothing in it is trusted: names are checked against
// a strict pattern before any file is touched, and Open serves only what a
// publish could have produced.
package images

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/safeopen"
)

// MaxBytes bounds a served image: well above what the notify tools publish
// (NOTIFY_MAX_IMAGE_BYTES, 10 MiB by default), so a file planted in the
// folder cannot make every request stream gigabytes.
const MaxBytes = 32 << 20

// ValidName reports whether name may name a served image: the one image
// contract, protocol.ValidImageName (what notifyimage.Publish makes and the
// seed's other <name>.png).
func ValidName(name string) bool { return protocol.ValidImageName(name) }

// ErrNotServed wraps every reason an existing file in the folder is not
// served (the handler answers 404 as for a missing one, and logs why).
var ErrNotServed = errors.New("not served")

// Store is the images folder.
type Store struct{ Dir string }

// Path returns the file for a valid name.
func (s Store) Path(name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("invalid image name %q", name)
	}
	return filepath.Join(s.Dir, name), nil
}

// Image is an opened image ready to serve.
type Image struct {
	*os.File
	Info        fs.FileInfo
	ContentType string // what its name says (protocol.ImageContentType)
}

// Open opens the image name for serving. Only what a publish produces is
// served: a regular file (a symbolic link is refused, not followed, and a
// FIFO or device refused without blocking), with exactly one hard link (a
// hard link to another file is a regular file too), not owned by root
// (nothing publishes as root; unless the webapp itself runs as root, as in
// tests), at most MaxBytes, whose content is the PNG or JPEG its name says.
// A missing file's error wraps fs.ErrNotExist; a refused one ErrNotServed.
func (s Store) Open(name string) (*Image, error) {
	path, err := s.Path(name)
	if err != nil {
		return nil, err
	}
	f, fi, err := safeopen.Open(path, MaxBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrNotServed, err)
	}
	img := &Image{File: f, Info: fi}
	if err := checkOpened(img, name, os.Geteuid()); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrNotServed, path, err)
	}
	return img, nil
}

func checkOpened(img *Image, name string, self int) error {
	if n := safeopen.Links(img.Info); n != 1 {
		return fmt.Errorf("has %d hard links", n)
	}
	if uid, ok := safeopen.Owner(img.Info); ok && !OwnerMayPublish(uid, self) {
		return fmt.Errorf("is owned by uid %d", uid)
	}
	head := make([]byte, 512)
	n, err := img.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return err
	}
	want, ok := protocol.ImageContentType(name)
	if !ok {
		return fmt.Errorf("%q is not an image name", name)
	}
	if got := http.DetectContentType(head[:n]); got != want {
		return fmt.Errorf("holds %s, not %s", got, want)
	}
	img.ContentType = want
	return nil
}

// OwnerMayPublish says whether a file owned by uid may have been published
// by the notify tools, for a webapp running as self: any user but root,
// which never runs them, unless the webapp is root itself.
func OwnerMayPublish(uid, self int) bool { return uid != 0 || self == 0 }

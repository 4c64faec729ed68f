// Package notifyimage takes a chart a script made and publishes a copy in the
// folder the webapp serves at /api/notifications/images/, under a name
// nobody can guess. Only real PNG and JPEG files under a size limit are
// taken: the content is checked, not the file name.
package notifyimage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/atomicfile"
	"github.com/keboola/analyst-alerts/internal/safeopen"
)

// DefaultMaxBytes is the largest image taken (NOTIFY_MAX_IMAGE_BYTES).
const DefaultMaxBytes = 10 << 20

// DefaultMaxAge is how long a published image is kept
// (NOTIFY_IMAGE_MAX_AGE_DAYS): longer than any app keeps the alert.
const DefaultMaxAge = 30 * 24 * time.Hour

// MaxPixels refuses images whose header promises a huge canvas (a
// decompression bomb for every viewer that opens it).
const MaxPixels = 40_000_000

// ErrRefused wraps every reason an image is not taken.
var ErrRefused = errors.New("image not taken")

// Published is a copy ready to be linked.
type Published struct {
	Name string // file name in the images folder: 32 hex digits + an extension of protocol.ImageTypes
	Path string // full path of the copy (what the Telegram bot reads)
	URL  string // /api/notifications/images/<Name>
}

// Publish checks src and copies it into dir. src must be the absolute path
// of a regular file of at most maxBytes; a symbolic link is refused, not
// followed. The copy is written under a temporary name and renamed, so the
// webapp never serves half a file; it is readable by the webapp's group
// (0644 inside a folder the operator restricts). Errors wrap ErrRefused when
// the file itself is at fault.
func Publish(src, dir string, maxBytes int64) (Published, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if !filepath.IsAbs(src) {
		return Published{}, fmt.Errorf("%w: image_path %q must be an absolute path", ErrRefused, src)
	}
	// The path is the script's: it may name a FIFO (open(2) would block past
	// the script's timeout, holding the runner's lock), a device, or a link.
	// safeopen refuses them without blocking, and reads at most maxBytes
	// even if the file grows meanwhile.
	data, err := safeopen.ReadFile(src, maxBytes)
	if err != nil {
		return Published{}, fmt.Errorf("%w: image_path: %v", ErrRefused, err)
	}
	ext, err := check(data)
	if err != nil {
		return Published{}, fmt.Errorf("%w: %s: %v", ErrRefused, src, err)
	}

	if err := makeFolder(dir); err != nil {
		return Published{}, err
	}
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return Published{}, err
	}
	name := hex.EncodeToString(rnd[:]) + ext
	dst := filepath.Join(dir, name)
	if err := atomicfile.Write(dst, data, 0o644); err != nil {
		return Published{}, fmt.Errorf("write image: %w", err)
	}
	return Published{Name: name, Path: dst, URL: protocol.PathImagesPrefix + name}, nil
}

// makeFolder creates the images folder itself if missing, never a tree: a
// tool run by hand (perhaps as root) without NOTIFICATION_IMAGES_DIR must
// not quietly create /data/notifications/images (deploy/ creates it, with
// the group and mode every analyst needs); a missing parent is an error
// that says what to set, and the alert goes without its chart.
func makeFolder(dir string) error {
	err := os.Mkdir(dir, 0o755)
	switch {
	case err == nil, errors.Is(err, fs.ErrExist):
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("images folder %s: %s does not exist (create it, or set NOTIFICATION_IMAGES_DIR to the webapp's DATA_DIR/images)",
			dir, filepath.Dir(dir))
	default:
		return fmt.Errorf("create images folder: %w", err)
	}
}

// check decodes the image with the standard library's PNG and JPEG decoders
// (not a magic-number sniff): first the header, to refuse a huge canvas
// before allocating it, then the whole image, to refuse a truncated or
// damaged file. It returns the extension to use.
func check(data []byte) (string, error) {
	var (
		decodeConfig func(io.Reader) (image.Config, error)
		decode       func(io.Reader) (image.Image, error)
		ext          string
	)
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		decodeConfig, decode, ext = png.DecodeConfig, png.Decode, protocol.ImageExt("image/png")
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		decodeConfig, decode, ext = jpeg.DecodeConfig, jpeg.Decode, protocol.ImageExt("image/jpeg")
	default:
		return "", errors.New("not a PNG or JPEG image")
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("damaged %s image: %v", ext[1:], err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return "", fmt.Errorf("image is %dx%d pixels, outside 1..%d pixels", cfg.Width, cfg.Height, MaxPixels)
	}
	if _, err := decode(bytes.NewReader(data)); err != nil {
		return "", fmt.Errorf("damaged %s image: %v", ext[1:], err)
	}
	return ext, nil
}

// published reports whether name is a file Publish makes: 32 hex digits
// and an extension of the image contract (protocol.ImageTypes), or one of
// its temporary files.
func published(name string) bool {
	if tmpName.MatchString(name) {
		return true
	}
	ext := filepath.Ext(name)
	_, isImage := protocol.ImageTypes[ext]
	return isImage && randomStem.MatchString(strings.TrimSuffix(name, ext))
}

var (
	randomStem = regexp.MustCompile(`^[0-9a-f]{32}$`)
	tmpName    = regexp.MustCompile(`^\.incoming-[0-9]+$`)
)

// ours says name is a file Publish made, or one it left half-written
// (atomicfile's temporary name for it).
func ours(name string) bool {
	if target, ok := atomicfile.TempOf(name); ok {
		name = target
	}
	return published(name)
}

// Prune removes published images older than maxAge from dir, so the folder
// does not grow for ever. Only names Publish makes are touched; a file this
// user may not remove (another analyst's, in a sticky folder) is left alone.
// It returns how many files it removed.
func Prune(dir string, maxAge time.Duration, now time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !ours(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) < maxAge {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			removed++
		}
	}
	return removed, nil
}

// Check tells whether data is a whole PNG or JPEG image within MaxPixels
// (the same test Publish applies) and returns its extension. notify-bot
// uses it for the photos it is asked to send.
func Check(data []byte) (ext string, err error) { return check(data) }

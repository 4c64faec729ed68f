// Package images caches the notifications' chart images on disk. They are
// fetched with the Bearer token (the server does not serve them without),
// so the page cannot load them itself; the app serves them to the page from
// its own origin, which keeps the page's CSP free of remote origins.
package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/keboola/analyst-alerts/internal/atomicfile"
)

// MaxFiles bounds the cache; the oldest files go first.
const MaxFiles = 100

// Fetch downloads an image (webapi.Client.Image with the current token).
type Fetch func(ctx context.Context, imageURL string) ([]byte, string, error)

// Cache is safe for concurrent use.
type Cache struct {
	Dir string
	mu  sync.Mutex
}

// Get returns the image for imageURL from the cache, or fetches and keeps it.
func (c *Cache) Get(ctx context.Context, imageURL string, fetch Fetch) ([]byte, string, error) {
	sum := sha256.Sum256([]byte(imageURL))
	path := filepath.Join(c.Dir, hex.EncodeToString(sum[:16]))
	if b, err := os.ReadFile(path); err == nil {
		return b, http.DetectContentType(b), nil
	}
	b, ct, err := fetch(ctx, imageURL)
	if err != nil {
		return nil, "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := atomicfile.Write(path, b, 0o600); err == nil {
		c.pruneLocked()
	}
	return b, ct, nil
}

func (c *Cache) pruneLocked() {
	ents, err := os.ReadDir(c.Dir)
	if err != nil || len(ents) <= MaxFiles {
		return
	}
	type f struct {
		name string
		mod  int64
	}
	var fs []f
	for _, e := range ents {
		if info, err := e.Info(); err == nil {
			fs = append(fs, f{e.Name(), info.ModTime().UnixNano()})
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].mod < fs[j].mod })
	for _, x := range fs[:len(fs)-MaxFiles] {
		os.Remove(filepath.Join(c.Dir, x.name))
	}
}

package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
)

func TestCachesAndBounds(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	calls := 0
	fetch := func(_ context.Context, u string) ([]byte, string, error) {
		calls++
		return []byte("\x89PNG\r\n\x1a\n" + u), "image/png", nil
	}
	for i := 0; i < 2; i++ {
		b, ct, err := c.Get(context.Background(), "/api/notifications/images/a.png", fetch)
		if err != nil || ct != "image/png" || len(b) == 0 {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("fetched %d times", calls)
	}
	for i := 0; i < MaxFiles+10; i++ {
		c.Get(context.Background(), fmt.Sprint("/i/", i), fetch)
	}
	ents, _ := os.ReadDir(c.Dir)
	if len(ents) != MaxFiles {
		t.Fatalf("%d files", len(ents))
	}
	if _, _, err := c.Get(context.Background(), "/x", func(context.Context, string) ([]byte, string, error) {
		return nil, "", errors.New("down")
	}); err == nil {
		t.Fatal("error lost")
	}
}

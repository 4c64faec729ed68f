package outbox_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

// What is queued survives a reopen, in the order accepted; Done and Fail
// take a message out; the offset is kept.
func TestQueueSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	box, err := outbox.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Open(path); err == nil {
		t.Fatal("a second bot opened the same outbox")
	}
	var wg sync.WaitGroup
	for i := range 20 { // concurrent puts share commits; each gets its own seq
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := box.Put(&outbox.Message{ChatID: int64(i % 2), User: "u", Text: "m"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	photo := &outbox.Message{ChatID: 7, User: "p", Text: "caption", Photo: []byte("\x89PNG..."), PhotoName: "chart.png"}
	if err := box.Put(photo); err != nil {
		t.Fatal(err)
	}
	if err := box.Done(1); err != nil {
		t.Fatal(err)
	}
	if err := box.Fail(2, "Bad Request: chat not found"); err != nil {
		t.Fatal(err)
	}
	if err := box.SetOffset(12345); err != nil {
		t.Fatal(err)
	}
	box.Close()

	box, err = outbox.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	pending, err := box.Pending()
	if err != nil || len(pending) != 19 || box.Len() != 19 {
		t.Fatalf("%d pending (%d), %v", len(pending), box.Len(), err)
	}
	for i := 1; i < len(pending); i++ {
		if pending[i].Seq <= pending[i-1].Seq {
			t.Fatalf("not in order: %v", pending)
		}
	}
	if pending[0].Seq != 3 || pending[18].Seq != photo.Seq || pending[18].ChatID != 7 {
		t.Fatalf("pending: %v (photo seq %d)", pending, photo.Seq)
	}
	m, err := box.Get(photo.Seq)
	if err != nil || string(m.Photo) != "\x89PNG..." || m.Text != "caption" || m.User != "p" {
		t.Fatalf("photo: %+v %v", m, err)
	}
	failed, err := box.Failed()
	if err != nil || len(failed) != 1 || failed[0].Seq != 2 || failed[0].Error != "Bad Request: chat not found" {
		t.Fatalf("failed: %+v %v", failed, err)
	}
	if off, err := box.Offset(); err != nil || off != 12345 {
		t.Fatalf("offset %d %v", off, err)
	}
}

// Package store keeps the notifications the app has received: the last 50,
// newest first, deduplicated by id, with read marks, and the resume cursor
// (the last frame's epoch and seq) so a restart resumes where it left off.
// Every change is written to one JSON file atomically.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/atomicfile"
)

// Capacity is how many notifications are kept.
const Capacity = 50

// Item is one stored notification.
type Item struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Message    string    `json:"message"`
	ImageURL   string    `json:"image_url,omitempty"`
	Script     string    `json:"script,omitempty"`
	Timestamp  string    `json:"timestamp,omitempty"` // as the dispatcher sent it
	ReceivedAt time.Time `json:"received_at"`
	Seq        uint64    `json:"seq,omitempty"`
	Epoch      string    `json:"epoch,omitempty"`
	Read       bool      `json:"read"`
	// Silent: it came in the user's quiet hours; listed, but no banner
	// and no sound.
	Silent bool `json:"silent,omitempty"`
	// AckedAt (RFC 3339) and AckedVia say the alert was acknowledged, on
	// any device or channel (ack.go); empty while it is not.
	AckedAt  string `json:"acked_at,omitempty"`
	AckedVia string `json:"acked_via,omitempty"`
	// Repeat: the last copy received was a repeat of an alert nobody
	// acknowledged (repeat_until_ack).
	Repeat bool `json:"repeat,omitempty"`
}

// FromFrame makes an Item of a notification frame. A frame without an id
// gets one from its place in the history (or its arrival), so it can still
// be deduplicated and addressed.
func FromFrame(f protocol.NotificationFrame, now time.Time) Item {
	it := Item{
		ID: f.ID, Title: f.Title, Message: f.Message, ImageURL: f.ImageURL,
		Script: f.Script, Timestamp: f.Timestamp, ReceivedAt: now.UTC(),
		Seq: f.Seq, Epoch: f.Epoch, Silent: f.Silent, Repeat: f.Repeat,
	}
	if it.ID == "" {
		if f.Seq > 0 {
			it.ID = "seq:" + f.Epoch + ":" + strconv.FormatUint(f.Seq, 10)
		} else {
			it.ID = "local:" + strconv.FormatInt(now.UnixNano(), 36)
		}
	}
	return it
}

type file struct {
	Version int              `json:"version"`
	Items   []Item           `json:"items"` // newest first
	Cursor  *protocol.Resume `json:"cursor,omitempty"`
	// PendingAcks are the ids the user acknowledged that the gateway has
	// not confirmed (no acked frame yet), oldest first (ack.go).
	PendingAcks []string `json:"pending_acks,omitempty"`
}

// Store is safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	path     string
	data     file
	onChange func()
}

// Open loads the store at path. A missing file is an empty store. A file
// that cannot be read as a store is moved aside (path.corrupt-<time>), not
// overwritten, and the store starts empty: nothing is lost without a trace.
func Open(path string) (*Store, error) {
	s := &Store{path: path, data: file{Version: 1}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		slog.Warn("notification store unreadable; moved aside", slog.String("path", aside), slog.Any("error", err))
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("move aside unreadable %s: %w", path, rerr)
		}
		return s, nil
	}
	s.data = f
	return s, nil
}

// OnChange sets a function called (without the lock) after every change.
func (s *Store) OnChange(fn func()) {
	s.mu.Lock()
	s.onChange = fn
	s.mu.Unlock()
}

// Add stores new items (oldest first, as frames arrive) and moves the
// cursor. It returns the items that were new; duplicates (same id) are
// skipped but still move the cursor.
func (s *Store) Add(items ...Item) ([]Item, error) {
	s.mu.Lock()
	var added []Item
	for _, it := range items {
		if it.Seq > 0 {
			s.data.Cursor = &protocol.Resume{Epoch: it.Epoch, Seq: it.Seq}
		}
		if i := s.indexLocked(it.ID); i >= 0 {
			if it.Repeat && s.data.Items[i].AckedAt == "" {
				// repeat_until_ack: nobody acknowledged it yet, so it
				// comes back to the top, unread, with a banner.
				s.data.Items = append(s.data.Items[:i], s.data.Items[i+1:]...)
				s.data.Items = append([]Item{it}, s.data.Items...)
				added = append(added, it)
			}
			continue
		}
		s.data.Items = append([]Item{it}, s.data.Items...)
		added = append(added, it)
	}
	if len(s.data.Items) > Capacity {
		s.data.Items = s.data.Items[:Capacity]
	}
	err := s.saveLocked()
	return added, s.unlockNotify(err)
}

// Cursor is where to resume: the last frame seen, or nil.
func (s *Store) Cursor() *protocol.Resume {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data.Cursor == nil {
		return nil
	}
	c := *s.data.Cursor
	return &c
}

// List returns the items, newest first.
func (s *Store) List() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Item(nil), s.data.Items...)
}

// Get returns the item with id.
func (s *Store) Get(id string) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.indexLocked(id); i >= 0 {
		return s.data.Items[i], true
	}
	return Item{}, false
}

// Unread counts unread items.
func (s *Store) Unread() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, it := range s.data.Items {
		if !it.Read {
			n++
		}
	}
	return n
}

// MarkRead marks one item read; false if there is no such item.
func (s *Store) MarkRead(id string) (bool, error) {
	s.mu.Lock()
	i := s.indexLocked(id)
	if i < 0 {
		s.mu.Unlock()
		return false, nil
	}
	if s.data.Items[i].Read {
		s.mu.Unlock()
		return true, nil
	}
	s.data.Items[i].Read = true
	return true, s.unlockNotify(s.saveLocked())
}

// MarkAllRead marks every item read.
func (s *Store) MarkAllRead() error {
	s.mu.Lock()
	for i := range s.data.Items {
		s.data.Items[i].Read = true
	}
	return s.unlockNotify(s.saveLocked())
}

// Clear removes every item. The cursor stays, so cleared notifications are
// not replayed by the next resume.
func (s *Store) Clear() error {
	s.mu.Lock()
	s.data.Items = nil
	return s.unlockNotify(s.saveLocked())
}

func (s *Store) indexLocked(id string) int {
	for i, it := range s.data.Items {
		if it.ID == id {
			return i
		}
	}
	return -1
}

func (s *Store) saveLocked() error {
	b, err := json.MarshalIndent(s.data, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path, b, 0o600)
}

func (s *Store) unlockNotify(err error) error {
	fn := s.onChange
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
	if err != nil {
		return fmt.Errorf("save notifications: %w", err)
	}
	return nil
}

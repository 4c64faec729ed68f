package store

import (
	"fmt"
	"slices"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Ack records an acknowledgement event from the gateway: every item with
// the acknowledged id (a repeat keeps it) is marked acknowledged and read,
// so the unread badge drops on every device at once; the cursor moves past
// the event, which has its own place in the history. changed says whether
// an item changed (an unknown id or a second event changes only the cursor).
// The event confirms a pending acknowledgement of the id (QueueAck).
func (s *Store) Ack(f protocol.AckedFrame) (changed bool, err error) {
	s.mu.Lock()
	s.data.PendingAcks = slices.DeleteFunc(s.data.PendingAcks, func(id string) bool { return id == f.ID })
	if f.Seq > 0 {
		s.data.Cursor = &protocol.Resume{Epoch: f.Epoch, Seq: f.Seq}
	}
	for i := range s.data.Items {
		it := &s.data.Items[i]
		if it.ID != f.ID || (it.AckedAt != "" && it.Read) {
			continue
		}
		if it.AckedAt == "" {
			it.AckedAt, it.AckedVia = f.At, f.Via
		}
		it.Read = true
		changed = true
	}
	err = s.saveLocked()
	if !changed {
		s.mu.Unlock()
		if err != nil {
			return false, err
		}
		return false, nil
	}
	return true, s.unlockNotify(err)
}

// QueueAck keeps the user's acknowledgement of id until the gateway
// confirms it (Ack), so an app that quits before its link is back sends it
// after the next start (PendingAcks).
func (s *Store) QueueAck(id string) error {
	s.mu.Lock()
	if !slices.Contains(s.data.PendingAcks, id) {
		s.data.PendingAcks = append(s.data.PendingAcks, id)
	}
	err := s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("save notifications: %w", err)
	}
	return nil
}

// PendingAcks are the acknowledgements still to send, oldest first: those
// whose alert is still listed and not acknowledged. The rest (confirmed
// meanwhile, or fallen out of the list) are forgotten, so an id the
// gateway never confirms cannot pile up.
func (s *Store) PendingAcks() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.data.PendingAcks)
	s.data.PendingAcks = slices.DeleteFunc(s.data.PendingAcks, func(id string) bool {
		i := s.indexLocked(id)
		return i < 0 || s.data.Items[i].AckedAt != ""
	})
	var err error
	if len(s.data.PendingAcks) != n {
		err = s.saveLocked()
	}
	return slices.Clone(s.data.PendingAcks), err
}

// DropPendingAcks forgets every acknowledgement not yet confirmed (the
// session they were given in ended).
func (s *Store) DropPendingAcks() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.data.PendingAcks) == 0 {
		return nil
	}
	s.data.PendingAcks = nil
	if err := s.saveLocked(); err != nil {
		return fmt.Errorf("save notifications: %w", err)
	}
	return nil
}

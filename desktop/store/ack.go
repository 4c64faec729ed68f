package store

import "github.com/keboola/analyst-alerts/gateway/protocol"

// Ack records an acknowledgement event from the gateway: every item with
// the acknowledged id (a repeat keeps it) is marked acknowledged and read,
// so the unread badge drops on every device at once; the cursor moves past
// the event, which has its own place in the history. changed says whether
// an item changed (an unknown id or a second event changes only the cursor).
func (s *Store) Ack(f protocol.AckedFrame) (changed bool, err error) {
	s.mu.Lock()
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

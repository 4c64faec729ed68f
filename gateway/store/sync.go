package store

// The syncer: with Options.Fsync, a group is acknowledged once the journal
// is fsynced, and no appender waits for another's fsync.

import (
	"fmt"
)

// syncItem is a group waiting for the fsync of the segment it was written
// to.
type syncItem struct {
	seg  *segment
	reqs []*appendReq
}

// syncLoop fsyncs the journal for every group queued, one fsync per
// segment for all groups waiting at that moment.
func (s *Store) syncLoop() {
	defer close(s.syncDone)
	var items []syncItem
	for first := range s.syncq {
		items = gather(s.syncq, append(items[:0], first), cap(s.syncq))
		errs := map[*segment]error{}
		for _, it := range items {
			if _, done := errs[it.seg]; !done {
				errs[it.seg] = it.seg.f.Sync()
			}
			err := errs[it.seg]
			if err == nil {
				s.idxMu.Lock()
				for _, r := range it.reqs {
					if u := s.users[r.user]; r.rec.Seq > u.stored {
						u.stored = r.rec.Seq
					}
				}
				s.idxMu.Unlock()
			}
			for _, r := range it.reqs {
				if err != nil {
					// Still in the journal, so it may yet be delivered
					// after a restart, but the dispatcher hears it failed.
					r.rec, r.err = Record{}, fmt.Errorf("fsync journal: %w", err)
				} else if r.after != nil {
					r.after(r.rec)
				}
				r.wake <- roleDone
			}
		}
		for _, it := range items {
			it.seg.release()
		}
		clear(items)
	}
}

// gather appends to batch whatever ch holds right now, up to max items in
// all: a group is what waited together, and nothing waits for company.
func gather[T any](ch <-chan T, batch []T, max int) []T {
	for len(batch) < max {
		select {
		case v, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}

package store

// The syncer: with Options.Fsync, a group is acknowledged once the journal
// is fsynced, and the committer never waits for it.

import (
	"fmt"
)

// syncItem is a group waiting for fsync, or a segment to close once every
// group written to it is fsynced.
type syncItem struct {
	seg      *segment
	reqs     []*appendReq
	closeSeg *segment
}

// syncLoop fsyncs the journal for every group queued, one fsync per
// segment for all groups waiting at that moment.
func (s *Store) syncLoop() {
	defer s.wg.Done()
	var items []syncItem
	for first := range s.syncq {
		items = gather(s.syncq, append(items[:0], first), cap(s.syncq))
		errs := map[*segment]error{}
		for _, it := range items {
			if it.seg == nil {
				continue
			}
			if _, done := errs[it.seg]; !done {
				errs[it.seg] = it.seg.f.Sync()
			}
			err := errs[it.seg]
			if err == nil {
				s.memMu.Lock()
				for _, r := range it.reqs {
					r.pr.synced = true
				}
				s.memMu.Unlock()
			}
			for _, r := range it.reqs {
				if err != nil {
					// Still in the journal, so it may yet be delivered
					// after a restart, but the dispatcher hears it failed.
					r.rec, r.err = Record{}, fmt.Errorf("fsync journal: %w", err)
				} else if r.after != nil {
					r.after(r.rec)
				}
				close(r.done)
			}
		}
		for _, it := range items {
			if it.closeSeg != nil {
				it.closeSeg.f.Close()
			}
		}
		clear(items)
	}
	close(s.writersDone)
}

package store

// The applier: moves the journal into the database behind the committer,
// in large batches, and trims each user's history to the limit.

import (
	"encoding/binary"
	"errors"
	"runtime"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// applyLoop applies the journal to the database every ApplyEvery, or
// sooner when much is pending, and a last time at Close.
func (s *Store) applyLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.ApplyEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.kick:
		case <-s.writersDone: // Close: the committer and syncer are finished
			s.applyRound(true)
			return
		}
		s.applyRound(false)
	}
}

// applyRound moves what is pending into the database and deletes the
// journal segments that held it. The last round (at Close) applies all and
// leaves no journal behind.
func (s *Store) applyRound(last bool) {
	s.segMu.Lock()
	if s.writersClosed && !last {
		s.segMu.Unlock()
		return // Close is under way; its last round follows
	}
	// Switch segments first, so every segment before the current one
	// holds only records being applied now (or applied before).
	take := s.applying == nil && len(s.pending) > 0
	var rotateErr error
	if take && !last {
		rotateErr = s.newSegment() // on failure the current one stays: nothing is deleted early
	}
	s.memMu.Lock()
	switch {
	case last:
		s.applying = append(s.applying, s.pending...)
		s.pending = nil
		s.seg.f.Close()
		s.applyUpTo = s.seg.id + 1
	case take:
		s.applying, s.pending = s.pending, nil
		s.applyUpTo = s.seg.id
	}
	recs, upTo := s.applying, s.applyUpTo
	s.memMu.Unlock()
	s.segMu.Unlock()

	err := s.applyRecords(recs)
	if err == nil && (len(recs) > 0 || last) {
		var ids []uint64
		if ids, err = listSegments(s.dir); err == nil {
			var applied []uint64
			for _, id := range ids {
				if id < upTo {
					applied = append(applied, id)
				}
			}
			err = s.removeSegments(applied)
		}
	}
	applied := err == nil
	// A failed switch of segments loses nothing (the records are applied
	// and their segment kept), but the operator hears of it.
	err = errors.Join(err, rotateErr)
	if s.opts.OnApply != nil && (len(recs) > 0 || err != nil) {
		s.opts.OnApply(len(recs), err)
	}
	s.memMu.Lock()
	if applied {
		s.applying = nil
	}
	s.applyErr = err
	close(s.roundDone)
	s.roundDone = make(chan struct{})
	s.memMu.Unlock()
}

// trimEvery spreads trimming: old records are deleted in runs every few
// appends instead of one per append. Since never returns more than the limit.
const trimEvery = 16

// applyRecords writes records to the database in one transaction. Applying
// a record twice (a crash between the commit and the journal's removal)
// writes the same value again.
func (s *Store) applyRecords(recs []*pendingRec) error {
	if len(recs) == 0 {
		return nil
	}
	// In key order, each leaf is found next to the last one instead of from
	// the root: BenchmarkAppend 9.1-9.6 -> 8.0-8.6 µs per append. Stable,
	// so a user's records keep their seq order (trimming relies on it).
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b *pendingRec) int { return strings.Compare(a.user, b.user) })
	return s.db.Update(func(tx *bolt.Tx) error {
		hist := tx.Bucket(bucketHistory)
		for i, r := range recs {
			if i%64 == 63 {
				// A round can take milliseconds of CPU; goroutines queued
				// behind it on this P (a delivery, a dispatch) would wait
				// for the scheduler's 10 ms preemption. Measured: p99 at
				// 2,000 dispatches/s 3.1-3.2 ms without, 2.5-2.7 ms with.
				runtime.Gosched()
			}
			if err := hist.Put(histKey(r.user, r.Seq), r.Frame); err != nil {
				return err
			}
			if r.Seq > uint64(s.opts.Limit) && r.Seq%trimEvery == 0 {
				cut := r.Seq - uint64(s.opts.Limit)
				c := hist.Cursor()
				prefix := userPrefix(r.user)
				// Seek again after each delete, never Next: on a leaf
				// written in this transaction Delete already moves the
				// cursor to the following key, so Next would skip it and
				// leave every other old record behind (etcd-io/bbolt#146).
				for k, _ := c.Seek(prefix); isUserKey(k, prefix) && binary.BigEndian.Uint64(k[len(prefix):]) <= cut; k, _ = c.Seek(prefix) {
					if err := c.Delete(); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

package store

// The committer: one goroutine gives each append its seq and writes whole
// groups to the journal, each in one write(2).

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

type appendReq struct {
	user  string
	build FrameFunc
	after CommittedFunc
	rec   Record
	err   error
	done  chan struct{}
	pr    *pendingRec
}

const maxBatch = 256

// applyAt pending records wake the applier early; at maxPending the
// committer waits for it, so memory stays bounded if the database falls
// behind. Variables so a test can make them small.
var (
	applyAt    = 16384
	maxPending = 8 * applyAt
)

// Append stores a new notification for user under the next seq and returns
// it once it is written to the journal (and fsynced, with Options.Fsync)
// and after has run. Concurrent appends are ordered by their arrival at the
// committer.
func (s *Store) Append(user string, build FrameFunc, after CommittedFunc) (Record, error) {
	if len(user) > maxUser {
		return Record{}, fmt.Errorf("user name longer than %d bytes", maxUser)
	}
	r := &appendReq{user: user, build: build, after: after, done: make(chan struct{})}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return Record{}, ErrClosed
	}
	s.reqs <- r
	s.mu.RUnlock()
	<-r.done
	return r.rec, r.err
}

func (s *Store) commitLoop() {
	defer s.wg.Done()
	batch := make([]*appendReq, 0, maxBatch)
	for first := range s.reqs {
		batch = gather(s.reqs, append(batch[:0], first), maxBatch)
		s.commit(batch)
		clear(batch)
	}
	s.segMu.Lock()
	s.writersClosed = true
	close(s.syncq)
	s.segMu.Unlock()
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

// commit writes one group to the journal, delivers it, and acknowledges it
// (or hands it to the syncer).
func (s *Store) commit(batch []*appendReq) {
	start := time.Now()
	s.segMu.Lock()
	buf := s.buf[:0]
	recs := make([]*pendingRec, 0, len(batch))
	s.memMu.RLock()
	for _, r := range batch {
		seq, err := s.head(r.user)
		if err == nil {
			// Within the group, a user's later appends follow the earlier.
			for i := len(recs) - 1; i >= 0; i-- {
				if recs[i].user == r.user {
					seq = recs[i].Seq
					break
				}
			}
			seq++
			var frame []byte
			if frame, err = r.build(seq, s.epoch); err == nil {
				r.rec = Record{Seq: seq, Epoch: s.epoch, Frame: frame}
				r.pr = &pendingRec{user: r.user, Record: r.rec, synced: !s.opts.Fsync}
				recs = append(recs, r.pr)
				buf = appendRecord(buf, r.user, seq, frame)
			}
		}
		r.err = err
	}
	s.memMu.RUnlock()
	var werr error
	if len(buf) > 0 {
		_, werr = s.seg.f.Write(buf)
	}
	if werr != nil {
		// Nothing of this group counts: its seqs are given again. Later
		// groups go to a new segment, never behind a torn record; a whole
		// record of this group left in the old one is overwritten at
		// recovery by the later one with its seq.
		werr = fmt.Errorf("write journal: %w", werr)
		if err := s.newSegment(); err != nil {
			werr = errors.Join(werr, err)
		}
	} else {
		s.memMu.Lock()
		for _, r := range recs {
			s.heads[r.user] = r.Seq
		}
		s.pending = append(s.pending, recs...)
		s.memMu.Unlock()
	}
	seg := s.seg
	if cap(buf) <= 1<<20 { // keep a usual buffer, not a rare huge one
		s.buf = buf
	}
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(len(batch), time.Since(start))
	}
	var waiting []*appendReq
	for _, r := range batch {
		if werr != nil && r.err == nil {
			r.rec, r.err = Record{}, werr
		}
		switch {
		case r.err != nil:
			close(r.done)
		case s.opts.Fsync:
			waiting = append(waiting, r)
		default:
			if r.after != nil {
				r.after(r.rec)
			}
			close(r.done)
		}
	}
	if len(waiting) > 0 {
		// Queued under segMu so a rotation's close follows it.
		s.syncq <- syncItem{seg: seg, reqs: waiting}
	}
	s.segMu.Unlock()
	s.throttle()
}

// head is user's last seq; memMu read-held. A user not seen since start is
// read from the database, which then holds all their records.
func (s *Store) head(user string) (uint64, error) {
	if seq, ok := s.heads[user]; ok {
		return seq, nil
	}
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		seq = lastSeq(tx.Bucket(bucketHistory).Cursor(), user)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read history of %q: %w", user, err)
	}
	return seq, nil
}

// throttle wakes the applier when much is pending, and waits for it when
// too much is.
func (s *Store) throttle() {
	s.memMu.RLock()
	n, round := len(s.pending), s.roundDone
	s.memMu.RUnlock()
	if n < applyAt {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	if n >= maxPending {
		<-round
	}
}

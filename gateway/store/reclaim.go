package store

// The reclaimer: off the hot path, it fsyncs what was written (so that
// without Options.Fsync a record reaches the disk within ApplyEvery),
// deletes sealed segments the index no longer points to, and compacts a
// sealed segment that is mostly dead: its live records are appended again
// (same seq, same frame) through the leader, a small group at a time and
// paced by how much is appended, so it never bursts; the segment is then
// dead and deleted by a later round, after the copies are fsynced.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"
)

// Compaction's pace and choice (variables so a test can change them).
var (
	// compactBelow: a sealed segment is compacted once the records the
	// index points to are less than this share of it. Disk use stays
	// under about 1/compactBelow of the live records (plus the segment
	// being written), and each record is copied at most about
	// compactBelow/(1-compactBelow) times on average.
	compactBelow = 0.5
	// compactRate is the bytes a second compaction may read besides four
	// times what is appended (it reads about twice what it copies, and
	// copies up to what is appended): it keeps up under any load and is
	// slow when the gateway is idle.
	compactRate int64 = 1 << 20
	compactStep       = 32 << 10 // bytes read and copied in one group
	compactTick       = 20 * time.Millisecond
)

// testHook, when a test sets it before Open, is called at the points where
// a crash must lose nothing: "copied" (a group of copies written), "synced"
// (the round's fsyncs done, dead segments about to be deleted), "deleted"
// (one deleted).
var testHook func(point string)

func hook(point string) {
	if testHook != nil {
		testHook(point)
	}
}

// compaction is the segment being compacted and how far.
type compaction struct {
	g        *segment // held (acquired) while compacted
	off      int64
	tokens   int64
	appended int64 // Store.appended at the last step
	last     time.Time
}

func (s *Store) reclaimLoop() {
	defer close(s.reclaimDone)
	var c compaction
	defer func() {
		if c.g != nil {
			c.g.release()
		}
	}()
	t := time.NewTimer(s.opts.ApplyEvery)
	defer t.Stop()
	lastRound := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		var err error
		if now := time.Now(); now.Sub(lastRound) >= s.opts.ApplyEvery*9/10 {
			lastRound = now
			err = s.reclaimRound(&c)
		}
		copied, cerr := s.compactStep(&c)
		if err = errors.Join(err, cerr); s.opts.OnApply != nil && (copied > 0 || err != nil) {
			s.opts.OnApply(copied, err)
		}
		wait := s.opts.ApplyEvery
		if c.g != nil {
			wait = min(wait, compactTick)
		}
		t.Reset(wait)
	}
}

// reclaimRound fsyncs every segment written since the last round, then
// deletes the sealed segments that were dead before it (what replaced
// their records is on disk now), and picks a segment to compact.
func (s *Store) reclaimRound(c *compaction) error {
	type dirty struct {
		g    *segment
		size int64
	}
	var toSync []dirty
	var dead []*segment
	s.idxMu.RLock()
	for _, g := range s.segs {
		if g.size > g.syncedSize {
			toSync = append(toSync, dirty{g, g.size})
		}
		if g != s.cur && g.live == 0 {
			dead = append(dead, g)
		}
	}
	s.idxMu.RUnlock()
	for _, d := range toSync {
		if err := d.g.f.Sync(); err != nil {
			return fmt.Errorf("fsync journal: %w", err) // nothing deleted before it succeeds
		}
		d.g.syncedSize = d.size
	}
	if len(dead) > 0 {
		hook("synced")
	}
	var errs []error
	for _, g := range dead {
		s.idxMu.Lock()
		delete(s.segs, g.id) // dead stays dead: only appends to the current segment are indexed
		s.idxMu.Unlock()
		if err := os.Remove(g.path); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("remove dead journal segment: %w", err))
		}
		g.retire()
		hook("deleted")
	}
	if c.g == nil {
		s.pickCompaction(c)
	}
	return errors.Join(errs...)
}

// pickCompaction chooses the sealed segment with the smallest live share
// under compactBelow, or a small one (left by a restart).
func (s *Store) pickCompaction(c *compaction) {
	s.idxMu.RLock()
	defer s.idxMu.RUnlock()
	var best *segment
	bestShare := compactBelow
	for _, g := range s.segs {
		if g == s.cur || g.live == 0 {
			continue
		}
		share := float64(g.liveBytes) / float64(max(1, g.dataBytes(s.epoch)))
		if g.size < segmentMax/16 {
			share = min(share, compactBelow/2)
		}
		if share < bestShare || (share == bestShare && best != nil && g.id < best.id) {
			best, bestShare = g, share
		}
	}
	if best != nil {
		best.acquire()
		*c = compaction{g: best, off: int64(len(segmentHeader(s.epoch))), appended: s.appended.Load(), last: time.Now()}
	}
}

// compactStep copies the live records of the segment being compacted, as
// far as the pace allows, and returns how many it copied.
func (s *Store) compactStep(c *compaction) (int, error) {
	if c.g == nil {
		return 0, nil
	}
	now := time.Now()
	appended := s.appended.Load()
	c.tokens += compactRate*int64(now.Sub(c.last))/int64(time.Second) + 4*(appended-c.appended)
	c.tokens = min(c.tokens, 16*int64(compactStep)) // up to 25 MB/s at a 20 ms tick: keeps up with appends at full speed
	c.last, c.appended = now, appended
	copied := 0
	for c.tokens > 0 {
		s.idxMu.RLock()
		size := c.g.size
		s.idxMu.RUnlock()
		if c.off >= size || c.g.deleted.Load() {
			c.g.release()
			c.g = nil
			return copied, nil
		}
		copies, used, err := s.liveRecords(c.g, c.off, size)
		if err != nil {
			c.g.release()
			c.g = nil
			return copied, fmt.Errorf("compact journal: %w", err)
		}
		if used == 0 {
			// A torn or corrupt record: nothing after it was indexed.
			c.g.release()
			c.g = nil
			return copied, nil
		}
		if len(copies) > 0 {
			req := &appendReq{copies: copies, wake: make(chan byte, 1)}
			if err := s.run(req); err != nil {
				return copied, nil // closed
			}
			if req.err != nil {
				c.g.release()
				c.g = nil
				return copied, fmt.Errorf("compact journal: %w", req.err)
			}
			copied += len(copies)
			hook("copied")
		}
		c.off += int64(used)
		c.tokens -= int64(used)
	}
	return copied, nil
}

// liveRecords reads g's records from off (up to about a step's bytes, at
// least one whole record) and returns those the index still points to,
// and the bytes read.
func (s *Store) liveRecords(g *segment, off, size int64) ([]copyRec, int, error) {
	want := int64(compactStep)
	for {
		buf := make([]byte, min(size-off, want))
		if _, err := g.f.ReadAt(buf, off); err != nil {
			return nil, 0, err
		}
		var copies []copyRec
		used := 0
		s.idxMu.RLock()
		for used < len(buf) {
			r, n, err := parseRecord(buf[used:], 2)
			if err != nil {
				break
			}
			if u := s.users[string(r.user)]; u != nil {
				if l := u.find(r.seq); l != nil && l.seg == g.id && int64(l.off) == off+int64(used) {
					copies = append(copies, copyRec{user: string(r.user), seq: r.seq, frame: r.frame, seg: g.id, off: l.off})
				}
			}
			used += n
		}
		s.idxMu.RUnlock()
		if used > 0 || len(buf) < recordHeader {
			return copies, used, nil
		}
		// The first record is larger than a step: read it whole, unless
		// its length is not one that fits (a torn record).
		need := int64(recordHeader) + int64(binary.BigEndian.Uint32(buf))
		if need <= int64(len(buf)) || off+need > size {
			return nil, 0, nil
		}
		want = need
	}
}

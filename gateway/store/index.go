package store

// The index: for each user, where their last Limit records are in the
// journal, and for each segment, how much of it the index still points
// to. It lives in memory and is rebuilt from the segments at start.

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// segment is one journal file: the one being written, or a sealed one.
type segment struct {
	id   uint32
	path string
	f    *os.File // open for the life of the segment: reads are preads

	// Guarded by Store.idxMu (written by the leader under it).
	size      int64 // bytes in the file
	live      int   // records the index points to
	liveBytes int64

	syncedSize int64 // bytes known fsynced; the reclaimer's

	// refs counts readers holding the file; a deleted segment's file is
	// closed when the last one lets go.
	refs      atomic.Int32
	deleted   atomic.Bool
	closeOnce sync.Once

	// mapped is a sealed segment's file mapped read-only (nil: not mapped,
	// or it could not be), made by its first reader, so that a replay
	// copies its records without a system call each; unmapped when the file
	// is closed, which is when no reader holds it. Only sealed segments are
	// mapped: their size is final, and nothing truncates a journal file.
	mapOnce sync.Once
	mapped  []byte
}

func (g *segment) acquire() { g.refs.Add(1) }

func (g *segment) release() {
	if g.refs.Add(-1) == 0 && g.deleted.Load() {
		g.closeOnce.Do(g.close)
	}
}

// close unmaps and closes the file; called once, with no reader holding it.
func (g *segment) close() {
	if g.mapped != nil {
		unmapFile(g.mapped)
		g.mapped = nil
	}
	g.f.Close()
}

// view is the sealed segment's mapping of its first size bytes (made on
// the first call), or nil; the caller holds the segment.
func (g *segment) view(size int64) []byte {
	g.mapOnce.Do(func() {
		if m, err := mapFile(g, size); err == nil {
			g.mapped = m
		}
	})
	return g.mapped
}

// retire closes the file of a segment no longer in the index, now or when
// its last reader is done.
func (g *segment) retire() {
	g.deleted.Store(true)
	if g.refs.Load() == 0 {
		g.closeOnce.Do(g.close)
	}
}

// dataBytes is what the segment holds past its header.
func (g *segment) dataBytes(epoch string) int64 {
	return g.size - int64(len(journalMagic)+1+len(epoch))
}

// loc is where one record is: 16 bytes a record. The seq is kept as its
// low 32 bits: a user's records are within 2^32 of their last seq.
type loc struct {
	seqLo uint32
	seg   uint32
	off   uint32
	size  uint32 // the whole record, header included
}

// userHist is one user's index: their last seq written, their last seq
// stored (acknowledged: equal to head unless Options.Fsync), and a ring of
// their last Limit records, oldest first, in seq order.
type userHist struct {
	head, stored uint64
	ring         []loc
	start        int // the oldest record's slot once the ring is full
}

func (u *userHist) len() int { return len(u.ring) }

// at is the i-th oldest record.
func (u *userHist) at(i int) *loc {
	i += u.start
	if i >= len(u.ring) {
		i -= len(u.ring)
	}
	return &u.ring[i]
}

func (u *userHist) seqOf(l *loc) uint64 { return u.head - uint64(uint32(u.head)-l.seqLo) }

// search is the position of the first record with a seq above seq.
func (u *userHist) search(seq uint64) int {
	return sort.Search(u.len(), func(i int) bool { return u.seqOf(u.at(i)) > seq })
}

// find is the record with seq, or nil.
func (u *userHist) find(seq uint64) *loc {
	i := u.search(seq - 1)
	if i < u.len() {
		if l := u.at(i); u.seqOf(l) == seq {
			return l
		}
	}
	return nil
}

// push adds the newest record (seq above every other, u.head already
// set to it), evicting the oldest past limit.
func (u *userHist) push(l loc, limit int) (evicted loc, ok bool) {
	if len(u.ring) < limit {
		if len(u.ring) == cap(u.ring) {
			// Grow by hand: append's growth would overshoot the limit.
			grown := make([]loc, len(u.ring), min(limit, max(4, 2*cap(u.ring))))
			copy(grown, u.ring)
			u.ring = grown
		}
		u.ring = append(u.ring, l)
		return loc{}, false
	}
	evicted = u.ring[u.start]
	u.ring[u.start] = l
	u.start++
	if u.start == len(u.ring) {
		u.start = 0
	}
	return evicted, true
}

// frameSize is the frame's length in a record of user of size bytes.
func frameSize(user string, size uint32) int { return int(size) - recordSize(user, 0) }

// rebuild fills the index from the segments ids (AAJ2, oldest first),
// opening each for reading; segments of another epoch (a history since
// lost) or of the old format are removed. Records are taken in log order:
// an append sets its seq and drops any record of the user at or above it
// (a seq given again after a failed write), a copy only fills a seq the
// user does not have.
func (s *Store) rebuild(ids []uint64) error {
	for _, id := range ids {
		path := segmentPath(s.dir, id)
		if id > 1<<32-2 {
			return fmt.Errorf("journal segment %s: id too large", path)
		}
		s.nextID = id + 1 // never again, even for a segment removed here
		g := &segment{id: uint32(id), path: path}
		ours := false
		size, err := scanSegment(path, func(version int, epoch string) bool {
			// Another epoch: written for a history that is gone. The old
			// format: converted by the upgrade already.
			ours = version == 2 && epoch == s.epoch
			return ours
		}, func(off int64, r rawRecord) { s.rebuildRecord(g, off, r) })
		if err != nil {
			return fmt.Errorf("read journal: %w", err)
		}
		if !ours {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("remove stale journal segment: %w", err)
			}
			continue
		}
		if g.f, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
			return fmt.Errorf("open journal segment: %w", err)
		}
		g.size, g.syncedSize = size, size
		s.segs[g.id] = g
	}
	for _, u := range s.users {
		u.stored = u.head
		u.ring = append(make([]loc, 0, len(u.ring)), u.ring...) // no spare capacity
		for i := 0; i < u.len(); i++ {
			l := u.at(i)
			g := s.segs[l.seg]
			g.live++
			g.liveBytes += int64(l.size)
		}
	}
	return nil
}

// rebuildRecord takes one record into the index during rebuild, when the
// ring is a plain sorted slice (start 0).
func (s *Store) rebuildRecord(g *segment, off int64, r rawRecord) {
	u := s.users[string(r.user)]
	if u == nil {
		u = &userHist{}
		s.users[string(r.user)] = u
	}
	l := loc{seqLo: uint32(r.seq), seg: g.id, off: uint32(off), size: uint32(recordSize("", len(r.frame)) + len(r.user))}
	if r.kind == kindCopy {
		i := u.search(r.seq - 1)
		if i < u.len() && u.seqOf(u.at(i)) == r.seq {
			return // the log has it already
		}
		if u.len() >= s.opts.Limit && i == 0 {
			return // older than the user's last Limit
		}
		if r.seq > u.head {
			u.head = r.seq
		}
		u.ring = append(u.ring, loc{})
		copy(u.ring[i+1:], u.ring[i:])
		u.ring[i] = l
	} else {
		if u.len() > 0 && r.seq <= u.head {
			u.ring = u.ring[:u.search(r.seq-1)] // given again after a failed write
		}
		u.head = r.seq
		u.ring = append(u.ring, l)
	}
	if over := u.len() - s.opts.Limit; over > 0 {
		u.ring = append(u.ring[:0], u.ring[over:]...)
	}
}

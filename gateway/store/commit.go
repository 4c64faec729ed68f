package store

// Group commit with a leader: the first appender to arrive writes its own
// group, with every append that waited meanwhile, and then hands the lead
// to the next one waiting. A lone append (the gateway not busy) is written
// by its own goroutine with no hand-off at all; under load each group is
// still one write(2), and only one goroutine writes at a time, so seqs are
// given, written, indexed and delivered in one order.

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

type appendReq struct {
	user  string
	build FrameFunc
	after CommittedFunc
	// copies, instead of the above, is a compaction batch (reclaim.go).
	copies []copyRec
	rec    Record
	err    error
	wake   chan byte // roleLead or roleDone
}

// copyRec is a live record to write again (same seq, same frame), found at
// seg and off; it is dropped if the index no longer points there.
type copyRec struct {
	user     string
	seq      uint64
	frame    []byte
	seg, off uint32
}

const (
	roleDone byte = iota
	roleLead
)

const maxBatch = 256

var reqPool = sync.Pool{New: func() any { return &appendReq{wake: make(chan byte, 1)} }}

// placed is one record of the group being written: where in the buffer.
type placed struct {
	r    *appendReq
	c    *copyRec // nil for an append
	user string
	// u is user's history as the group was encoded (nil: none yet), so
	// that indexing it needs no second lookup in the map of every user.
	u    *userHist
	seq  uint64
	at   int
	size int
}

// Append stores a new notification for user under the next seq and returns
// it once it is written to the journal (and fsynced, with Options.Fsync)
// and after has run. Concurrent appends are ordered by their arrival.
func (s *Store) Append(user string, build FrameFunc, after CommittedFunc) (Record, error) {
	if len(user) > maxUser {
		return Record{}, fmt.Errorf("user name longer than %d bytes", maxUser)
	}
	r := reqPool.Get().(*appendReq)
	r.user, r.build, r.after = user, build, after
	err := s.run(r)
	rec := r.rec
	if err == nil {
		err = r.err
	}
	*r = appendReq{wake: r.wake}
	reqPool.Put(r)
	return rec, err
}

// run queues r and returns once it is done, leading its group itself when
// no one else is writing.
func (s *Store) run(r *appendReq) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.inflight.Add(1)
	s.mu.RUnlock()
	defer s.inflight.Done()

	s.qMu.Lock()
	if s.leading {
		s.queue = append(s.queue, r)
		s.qMu.Unlock()
		if <-r.wake == roleDone {
			return nil
		}
		s.qMu.Lock() // handed the lead: leading stays true
	} else {
		s.leading = true
	}
	batch := append(s.batch[:0], r)
	n := min(len(s.queue), maxBatch-1)
	batch = append(batch, s.queue[:n]...)
	rest := copy(s.queue, s.queue[n:])
	clear(s.queue[rest:])
	s.queue = s.queue[:rest]
	s.qMu.Unlock()

	waits, panicked := s.commit(batch, r)
	clear(batch)
	s.batch = batch

	s.qMu.Lock()
	if len(s.queue) == 0 {
		s.leading = false
		s.qMu.Unlock()
	} else {
		next := s.queue[0]
		rest := copy(s.queue, s.queue[1:])
		s.queue[rest] = nil
		s.queue = s.queue[:rest]
		s.qMu.Unlock()
		next.wake <- roleLead
	}
	if panicked != nil {
		panic(panicked)
	}
	if waits {
		<-r.wake // the syncer's roleDone
	}
	return nil
}

// commit writes one group to the journal, indexes it, delivers it, and
// acknowledges it (or hands it to the syncer). It wakes every request but
// self, and says whether self waits for the syncer.
func (s *Store) commit(batch []*appendReq, self *appendReq) (selfWaits bool, panicked any) {
	start := time.Now()
	buf := s.buf[:0]
	recs := s.placed[:0]
	appendBytes := 0
	for _, r := range batch {
		if r.copies != nil {
			for i := range r.copies {
				c := &r.copies[i]
				if u := s.users[c.user]; u != nil {
					if l := u.find(c.seq); l != nil && l.seg == c.seg && l.off == c.off {
						at := len(buf)
						buf = appendRecord(buf, kindCopy, c.user, c.seq, c.frame)
						recs = append(recs, placed{r: r, c: c, user: c.user, u: u, seq: c.seq, at: at, size: len(buf) - at})
					}
				}
			}
			continue
		}
		var seq uint64
		u := s.users[r.user]
		if u != nil {
			seq = u.head
		}
		// Within the group, a user's later appends follow the earlier.
		for i := len(recs) - 1; i >= 0; i-- {
			if recs[i].c == nil && recs[i].user == r.user {
				seq = recs[i].seq
				break
			}
		}
		seq++
		frame, err := build(r.build, seq, s.epoch)
		if err != nil {
			r.err = err
			continue
		}
		r.rec = Record{Seq: seq, Epoch: s.epoch, Frame: frame}
		at := len(buf)
		buf = appendRecord(buf, kindAppend, r.user, seq, frame)
		recs = append(recs, placed{r: r, user: r.user, u: u, seq: seq, at: at, size: len(buf) - at})
		appendBytes += len(buf) - at
	}
	var werr error
	if len(buf) > 0 {
		werr = s.write(buf, recs)
	}
	if werr == nil {
		s.appended.Add(int64(appendBytes))
	}
	if cap(buf) <= 1<<20 { // keep a usual buffer, not a rare huge one
		s.buf = buf
	}
	clear(recs)
	s.placed = recs[:0]
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(len(batch), time.Since(start))
	}
	var waiting []*appendReq
	for _, r := range batch {
		if werr != nil && r.err == nil {
			r.rec, r.err = Record{}, werr
		}
		if r.err == nil && r.copies == nil && s.opts.Fsync {
			waiting = append(waiting, r)
			selfWaits = selfWaits || r == self
			continue
		}
		if r.err == nil && r.after != nil {
			if p := deliver(r); p != nil && panicked == nil {
				panicked = p
			}
		}
		if r != self {
			r.wake <- roleDone
		}
	}
	if len(waiting) > 0 {
		s.cur.acquire() // released by the syncer: its file stays open until then
		s.syncq <- syncItem{seg: s.cur, reqs: waiting}
	}
	return selfWaits, panicked
}

// build runs a FrameFunc on the leader, which is some appender's
// goroutine: a panic in it fails that append instead of leaving the lead
// held and every appender waiting.
func build(f FrameFunc, seq uint64, epoch string) (frame []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("build the frame: panic: %v", p)
		}
	}()
	return f(seq, epoch)
}

// deliver runs r's CommittedFunc and returns what it panicked with: the
// group is finished and the lead handed on before the panic goes on.
func deliver(r *appendReq) (panicked any) {
	defer func() { panicked = recover() }()
	r.after(r.rec)
	return nil
}

// write appends buf (the records recs) to the current segment, starting a
// new one first when it is full, and indexes the records.
func (s *Store) write(buf []byte, recs []placed) error {
	if s.cur.size+int64(len(buf)) > segmentMax && s.cur.size > int64(len(segmentHeader(s.epoch))) {
		// On failure the current segment takes the group: it only grows
		// past the size.
		_ = s.newSegment()
	}
	g := s.cur
	n, err := g.f.Write(buf)
	if err != nil {
		// Nothing of this group counts: its seqs are given again. Later
		// groups go to a new segment, never behind a torn record; a whole
		// record of this group left in the old one is replaced at rebuild
		// by the later one with its seq.
		s.idxMu.Lock()
		g.size += int64(n)
		s.idxMu.Unlock()
		err = fmt.Errorf("write journal: %w", err)
		if rerr := s.newSegment(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	base := g.size
	s.idxMu.Lock()
	for i := range recs {
		p := &recs[i]
		l := loc{seqLo: uint32(p.seq), seg: g.id, off: uint32(base + int64(p.at)), size: uint32(p.size)}
		u := p.u
		if u == nil { // new when encoded, or made since by an earlier record of the group
			u = s.users[p.user]
		}
		if p.c != nil {
			// Checked while encoding, but an append earlier in this
			// group may have evicted it since: then the copy is dead.
			at := u.find(p.seq)
			if at == nil || at.seg != p.c.seg || at.off != p.c.off {
				continue
			}
			old := s.segs[at.seg]
			old.live--
			old.liveBytes -= int64(at.size)
			*at = l
		} else {
			if u == nil {
				u = &userHist{}
				s.users[p.user] = u
			}
			u.head = p.seq
			if !s.opts.Fsync {
				u.stored = p.seq
			}
			if ev, ok := u.push(l, s.opts.Limit); ok {
				old := s.segs[ev.seg]
				old.live--
				old.liveBytes -= int64(ev.size)
			}
		}
		g.live++
		g.liveBytes += int64(p.size)
	}
	g.size += int64(len(buf))
	s.idxMu.Unlock()
	return nil
}

package store

// History reads: the index says where a user's records are, and they are
// copied from the journal's segments (from the page cache, as a rule: they
// were written recently or read recently). A user's records lie among
// everyone else's, so a page of them is scattered over megabytes: sealed
// segments are mapped read-only and copied from without a system call;
// the segment being written is read by pread, one for each run of
// adjacent records.

import (
	"fmt"
	"runtime/debug"
	"slices"
)

// Since returns user's stored records after (epoch, seq), oldest first.
// When epoch is not the user's current one (empty, unknown, or from a lost
// history) the whole retained history is returned. A seq at or beyond the
// user's last (a client ahead of this history) returns nothing.
func (s *Store) Since(user, epoch string, seq uint64) ([]Record, error) {
	p, err := s.Page(user, epoch, seq, 0)
	return p.Records, err
}

// Page is a bounded read of the history after a position.
type Page struct {
	// Records are the first stored records after the position, oldest
	// first, of at most the bytes asked for (always at least one).
	Records []Record
	// Total counts every stored record after the position, those in
	// Records included.
	Total int
}

// readAt is one record to read.
type readAt struct {
	g    *segment
	seq  uint64
	off  int64
	size int
	// sealed is the size of g when sealed (0: g is being written), read
	// under the index's lock: what may be mapped.
	sealed int64
}

// Page is Since reading at most maxBytes of frames (0: no bound), and
// counting the rest: a replay is sent a page at a time, as the client
// reads, so a client that does not read holds one page, not the history.
func (s *Store) Page(user, epoch string, seq uint64, maxBytes int) (Page, error) {
	if epoch != s.epoch {
		seq = 0
	}
	var page Page
	var reads []readAt
	size := 0
	s.idxMu.RLock()
	u := s.users[user]
	// A seq at or ahead of the last: nothing after it. Checked before the
	// search below, which looks past seq.
	if u == nil || seq >= u.head {
		s.idxMu.RUnlock()
		return page, nil
	}
	for i := u.search(seq); i < u.len(); i++ {
		l := u.at(i)
		rs := u.seqOf(l)
		if rs > u.stored {
			break // not yet stored: not delivered either
		}
		page.Total++
		n := frameSize(user, l.size)
		if maxBytes > 0 && len(reads) > 0 && (size+n > maxBytes || len(reads) < page.Total-1) {
			continue // no room: counted only (and none after it is taken)
		}
		size += n
		g := s.segs[l.seg]
		g.acquire() // its file stays open (and mapped) until read, even if compacted meanwhile
		r := readAt{g: g, seq: rs, off: int64(l.off), size: int(l.size)}
		if g != s.cur {
			r.sealed = g.size
		}
		reads = append(reads, r)
	}
	s.idxMu.RUnlock()
	defer func() {
		for _, r := range reads {
			r.g.release()
		}
	}()
	var err error
	page.Records, err = s.read(user, reads)
	if err != nil {
		return Page{}, fmt.Errorf("read history of %q: %w", user, err)
	}
	return page, nil
}

// read reads the records into one buffer, which their frames share.
func (s *Store) read(user string, reads []readAt) ([]Record, error) {
	total := 0
	for _, r := range reads {
		total += r.size
	}
	buf := make([]byte, total)
	if err := fill(buf, reads); err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(reads))
	for _, r := range reads {
		rec, n, err := parseRecord(buf[:r.size], 2)
		if err != nil || n != r.size || string(rec.user) != user || rec.seq != r.seq {
			return nil, fmt.Errorf("journal segment %s at %d: not the record indexed (seq %d)", r.g.path, r.off, r.seq)
		}
		out = append(out, Record{Seq: rec.seq, Epoch: s.epoch, Frame: rec.frame[:len(rec.frame):len(rec.frame)]})
		buf = buf[r.size:]
	}
	return out, nil
}

// fill copies the records, in order, into buf: from a sealed segment's
// mapping, else one pread for each run of them adjacent in one segment (as
// compaction and a quiet gateway leave them). A mapped file made shorter
// under the gateway (by hand: the store never truncates one) faults on
// the copy; that fault is this read's error, not the gateway's crash.
func fill(buf []byte, reads []readAt) (err error) {
	var r readAt
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if _, fault := p.(interface{ Addr() uintptr }); !fault {
				panic(p)
			}
			err = fmt.Errorf("journal segment %s at %d: the file is shorter than when it was sealed", r.g.path, r.off)
		}
	}()
	for i := 0; i < len(reads); {
		r = reads[i]
		if r.sealed > 0 {
			if m := r.g.view(r.sealed); r.off+int64(r.size) <= int64(len(m)) {
				buf = buf[copy(buf, m[r.off:r.off+int64(r.size)]):]
				i++
				continue
			}
		}
		j, end := i+1, r.off+int64(r.size)
		for j < len(reads) && reads[j].g == r.g && reads[j].off == end {
			end += int64(reads[j].size)
			j++
		}
		n := int(end - r.off)
		if _, err := r.g.f.ReadAt(buf[:n], r.off); err != nil {
			return err
		}
		buf, i = buf[n:], j
	}
	return nil
}

// Users lists, in name order, every user with a stored notification (for
// ws-gateway migrate).
func (s *Store) Users() ([]string, error) {
	s.idxMu.RLock()
	users := make([]string, 0, len(s.users))
	for u := range s.users {
		users = append(users, u)
	}
	s.idxMu.RUnlock()
	slices.Sort(users)
	return users, nil
}

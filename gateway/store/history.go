package store

// History reads: the index says where a user's records are, and they are
// read by pread from the journal's segments (from the page cache, as a
// rule: they were written recently or read recently).

import (
	"fmt"
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
		g.acquire() // its file stays open until read, even if compacted meanwhile
		reads = append(reads, readAt{g: g, seq: rs, off: int64(l.off), size: int(l.size)})
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

// read reads the records, one pread for each run of them adjacent in one
// segment (as compaction and a quiet gateway leave them).
func (s *Store) read(user string, reads []readAt) ([]Record, error) {
	out := make([]Record, 0, len(reads))
	for i := 0; i < len(reads); {
		j, end := i+1, reads[i].off+int64(reads[i].size)
		for j < len(reads) && reads[j].g == reads[i].g && reads[j].off == end {
			end += int64(reads[j].size)
			j++
		}
		buf := make([]byte, end-reads[i].off)
		if _, err := reads[i].g.f.ReadAt(buf, reads[i].off); err != nil {
			return nil, err
		}
		for ; i < j; i++ {
			r, n, err := parseRecord(buf, 2)
			if err != nil || n != reads[i].size || string(r.user) != user || r.seq != reads[i].seq {
				return nil, fmt.Errorf("journal segment %s at %d: not the record indexed (seq %d)", reads[i].g.path, reads[i].off, reads[i].seq)
			}
			out = append(out, Record{Seq: r.seq, Epoch: s.epoch, Frame: r.frame[:len(r.frame):len(r.frame)]})
			buf = buf[n:]
		}
	}
	return out, nil
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

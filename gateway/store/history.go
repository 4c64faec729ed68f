package store

// History reads: memory (the journal not yet applied) first, then the
// database.

import (
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
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

// Page is Since reading at most maxBytes of frames (0: no bound), and
// counting the rest: a replay is sent a page at a time, as the client
// reads, so a client that does not read holds one page, not the history.
func (s *Store) Page(user, epoch string, seq uint64, maxBytes int) (Page, error) {
	if epoch != s.epoch {
		seq = 0
	}
	var page Page
	size := 0
	// take adds r to the page while it has room, and counts it.
	take := func(r Record, copyFrame func() []byte) {
		page.Total++
		if maxBytes > 0 && len(page.Records) > 0 && size+len(r.Frame) > maxBytes {
			return
		}
		if maxBytes > 0 && len(page.Records) < page.Total-1 {
			return // a record was left out: none after it may be taken
		}
		size += len(r.Frame)
		r.Frame = copyFrame()
		page.Records = append(page.Records, r)
	}
	// Memory first, then the database: a record leaves memory only after
	// it is in the database, so nothing falls between the two reads.
	s.memMu.RLock()
	head, known := s.heads[user]
	var mem []Record
	stored := true // a record not yet stored ends the read: it is not delivered either
	for _, list := range [][]*pendingRec{s.applying, s.pending} {
		for _, r := range list {
			if r.user == user && stored {
				if stored = r.synced; stored && r.Seq > seq {
					mem = append(mem, r.Record)
				}
			}
		}
	}
	s.memMu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		if !known {
			head = lastSeq(c, user)
		}
		if seq >= head {
			// Ahead of this history: nothing after it. Checked before seq+1
			// below, which would wrap to 0 at 2^64-1 and read everything.
			mem = nil
			return nil
		}
		if head > uint64(s.opts.Limit) && seq < head-uint64(s.opts.Limit) {
			seq = head - uint64(s.opts.Limit) // not yet trimmed, but past the limit
		}
		prefix := userPrefix(user)
		for k, v := c.Seek(histKey(user, seq+1)); isUserKey(k, prefix); k, v = c.Next() {
			r := Record{Seq: binary.BigEndian.Uint64(k[len(prefix):]), Epoch: s.epoch, Frame: v}
			take(r, func() []byte { return append([]byte(nil), v...) })
			seq = r.Seq
		}
		return nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("read history of %q: %w", user, err)
	}
	for _, r := range mem {
		if r.Seq > seq && r.Seq <= head {
			take(r, func() []byte { return r.Frame }) // never changed once written
			seq = r.Seq
		}
	}
	return page, nil
}

// Users lists, in name order, every user with a stored notification (for
// ws-gateway migrate).
func (s *Store) Users() ([]string, error) {
	seen := map[string]bool{}
	s.memMu.RLock()
	for u := range s.heads {
		seen[u] = true
	}
	s.memMu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		// A key is user, 0x00, an 8-byte seq (histKey): the user is all
		// but the last 9 bytes.
		return tx.Bucket(bucketHistory).ForEach(func(k, _ []byte) error {
			if len(k) >= 9 {
				seen[string(k[:len(k)-9])] = true
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list the users: %w", err)
	}
	users := make([]string, 0, len(seen))
	for u := range seen {
		users = append(users, u)
	}
	slices.Sort(users)
	return users, nil
}

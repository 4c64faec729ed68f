package store

// Token revocations: one cutoff per user, written to the database at once
// (not through the journal).

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SetRevoked stores user's revocation cutoff (unix seconds): tokens issued
// before it are refused. A cutoff never moves backwards.
func (s *Store) SetRevoked(user string, notBefore int64) (int64, error) {
	var cur int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRevoked)
		if v := b.Get([]byte(user)); len(v) == 8 {
			cur = int64(binary.BigEndian.Uint64(v))
		}
		if notBefore <= cur {
			return nil
		}
		cur = notBefore
		return b.Put([]byte(user), binary.BigEndian.AppendUint64(nil, uint64(notBefore)))
	})
	if err != nil {
		return 0, fmt.Errorf("store revocation of %q: %w", user, err)
	}
	return cur, nil
}

// Revocations returns every stored cutoff, to load at start.
func (s *Store) Revocations() (map[string]int64, error) {
	out := map[string]int64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRevoked).ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				out[string(k)] = int64(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
	return out, err
}

// DropRevocationsBefore forgets every stored cutoff older than before (a
// cutoff that can refuse no token any more: protocol.RevocationExpiredBefore)
// and returns how many it dropped. Each is compared inside the one write
// transaction, so a SetRevoked racing with it is never lost: it either
// comes first (its newer cutoff is kept) or after (it writes anew).
func (s *Store) DropRevocationsBefore(before int64) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRevoked)
		var old [][]byte
		// bbolt forbids changing a bucket inside ForEach: collect, then delete.
		err := b.ForEach(func(k, v []byte) error {
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < before {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("drop expired revocations: %w", err)
	}
	return n, nil
}

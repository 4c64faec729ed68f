package store

// The database's layout: its buckets and the keys of history records.

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// One flat bucket per kind: nested buckets per user cost a page each and
// made commits slow with many users. A user's last seq is the last key of
// their records.
var (
	bucketHistory = []byte("history") // user 0x00 seq(8 bytes BE) -> frame
	bucketInfo    = []byte("info")    // "epoch" -> this database's epoch
	bucketRevoked = []byte("revoked") // user -> cutoff (8 bytes BE, unix seconds)
	keyEpoch      = []byte("epoch")
)

// lastSeq is user's highest stored seq, 0 when they have none.
func lastSeq(c *bolt.Cursor, user string) uint64 {
	prefix := userPrefix(user)
	k, _ := c.Seek(histKey(user, ^uint64(0)))
	if isUserKey(k, prefix) { // seq 2^64-1 itself
		return binary.BigEndian.Uint64(k[len(prefix):])
	}
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if isUserKey(k, prefix) {
		return binary.BigEndian.Uint64(k[len(prefix):])
	}
	return 0
}

// histKey is user, a 0x00 separator, and seq: one user's records are
// adjacent and in seq order.
func histKey(user string, seq uint64) []byte {
	k := make([]byte, len(user)+9)
	copy(k, user)
	binary.BigEndian.PutUint64(k[len(user)+1:], seq)
	return k
}

func userPrefix(user string) []byte { return histKey(user, 0)[:len(user)+1] }

// isUserKey says k is a history key of the user whose prefix is given
// (the length check keeps user "a" from matching user "a\x00b").
func isUserKey(k, prefix []byte) bool {
	return k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix)
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

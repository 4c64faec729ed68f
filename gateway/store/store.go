// Package store keeps each user's bounded notification history and the
// token revocations in an embedded bbolt database, so that neither is lost
// when the gateway restarts or crashes.
//
// Writes go through one committer goroutine that gathers every append
// waiting at that moment into a single transaction (group commit): one
// fsync covers a whole batch, never one per notification, and a lone append
// is committed at once without waiting for company.
package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// One flat bucket per kind: nested buckets per user cost a page each and
// made commits slow with many users. A user's last seq is the last key of
// their records, so an append dirties just one more leaf.
var (
	bucketHistory = []byte("history") // user 0x00 seq(8 bytes BE) -> frame
	bucketInfo    = []byte("info")    // "epoch" -> this database's epoch
	bucketRevoked = []byte("revoked") // user -> cutoff (8 bytes BE, unix seconds)
	keyEpoch      = []byte("epoch")
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("store is closed")

// Record is one stored notification: the frame exactly as sent to clients.
type Record struct {
	Seq   uint64
	Epoch string
	Frame []byte
}

// FrameFunc builds the stored frame once seq and epoch are known.
type FrameFunc func(seq uint64, epoch string) ([]byte, error)

// CommittedFunc is told about a record once it is committed. The committer
// calls it in commit order, which per user is seq order, so delivering from
// it keeps every user's stream in order.
type CommittedFunc func(Record)

type appendReq struct {
	user  string
	build FrameFunc
	after CommittedFunc
	rec   Record
	err   error
	done  chan struct{}
}

// Options tune the store.
type Options struct {
	Limit int  // notifications kept per user
	Fsync bool // fsync each commit; false leaves it to the OS (survives kill -9, not power loss)
	// OnCommit, when set, is told the size of each group commit (metrics).
	OnCommit func(batch int, took time.Duration)
}

// Store is the history and revocation database.
type Store struct {
	// epoch names every user's history in this database: it is made when
	// the database is, so a lost database means new epochs for all.
	epoch string
	db    *bolt.DB
	opts  Options
	reqs  chan *appendReq
	wg    sync.WaitGroup
	mu    sync.RWMutex
	close bool
}

// Open opens (or creates) the database in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Limit <= 0 {
		opts.Limit = 200
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	path := filepath.Join(dir, "history.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 2 * time.Second,
		NoSync:  !opts.Fsync,
		// As etcd runs it: the freelist is rebuilt on open instead of
		// written on every commit, and kept in a map for fast allocation.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: locked by another process (is another gateway running?)", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	var epoch string
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketHistory, bucketInfo, bucketRevoked} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		info := tx.Bucket(bucketInfo)
		if e := info.Get(keyEpoch); e != nil {
			epoch = string(e)
			return nil
		}
		epoch = newEpoch()
		return info.Put(keyEpoch, []byte(epoch))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise %s: %w", path, err)
	}
	s := &Store{epoch: epoch, db: db, opts: opts, reqs: make(chan *appendReq, 1024)}
	s.wg.Add(1)
	go s.commitLoop()
	return s, nil
}

// Close finishes pending appends and closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.close {
		s.mu.Unlock()
		return nil
	}
	s.close = true
	close(s.reqs)
	s.mu.Unlock()
	s.wg.Wait()
	return s.db.Close()
}

// Append stores a new notification for user under the next seq and returns
// it once it is committed (written to the OS, and fsynced when
// Options.Fsync) and after has run. Concurrent appends are ordered by their
// arrival at the committer.
func (s *Store) Append(user string, build FrameFunc, after CommittedFunc) (Record, error) {
	r := &appendReq{user: user, build: build, after: after, done: make(chan struct{})}
	s.mu.RLock()
	if s.close {
		s.mu.RUnlock()
		return Record{}, ErrClosed
	}
	s.reqs <- r
	s.mu.RUnlock()
	<-r.done
	return r.rec, r.err
}

const maxBatch = 256

func (s *Store) commitLoop() {
	defer s.wg.Done()
	batch := make([]*appendReq, 0, maxBatch)
	for first := range s.reqs {
		batch = append(batch[:0], first)
	gather:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		start := time.Now()
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, r := range batch {
				r.rec, r.err = s.appendTx(tx, r.user, r.build)
				if r.err != nil {
					// A failed frame build is that request's error; a
					// database error fails the whole batch.
					var be buildError
					if !errors.As(r.err, &be) {
						return r.err
					}
				}
			}
			return nil
		})
		if s.opts.OnCommit != nil {
			s.opts.OnCommit(len(batch), time.Since(start))
		}
		for _, r := range batch {
			if err != nil {
				r.rec, r.err = Record{}, fmt.Errorf("commit history: %w", err)
			}
			if r.err == nil && r.after != nil {
				r.after(r.rec)
			}
			close(r.done)
		}
	}
}

type buildError struct{ error }

// trimEvery spreads trimming: old records are deleted in runs every few
// appends instead of one per append, so most appends dirty a single leaf.
// Since never returns more than the limit.
const trimEvery = 16

func (s *Store) appendTx(tx *bolt.Tx, user string, build FrameFunc) (Record, error) {
	hist := tx.Bucket(bucketHistory)
	seq := lastSeq(hist.Cursor(), user) + 1
	frame, err := build(seq, s.epoch)
	if err != nil {
		return Record{}, buildError{err}
	}
	if err := hist.Put(histKey(user, seq), frame); err != nil {
		return Record{}, err
	}
	if seq > uint64(s.opts.Limit) && seq%trimEvery == 0 {
		cut := seq - uint64(s.opts.Limit)
		c := hist.Cursor()
		prefix := userPrefix(user)
		for k, _ := c.Seek(prefix); isUserKey(k, prefix) && binary.BigEndian.Uint64(k[len(prefix):]) <= cut; k, _ = c.Next() {
			if err := c.Delete(); err != nil {
				return Record{}, err
			}
		}
	}
	return Record{Seq: seq, Epoch: s.epoch, Frame: frame}, nil
}

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

// Since returns user's stored records after (epoch, seq), oldest first.
// When epoch is not the user's current one (empty, unknown, or from a lost
// history) the whole retained history is returned.
func (s *Store) Since(user, epoch string, seq uint64) ([]Record, error) {
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		last := lastSeq(c, user)
		if epoch != s.epoch {
			seq = 0
		}
		if last > uint64(s.opts.Limit) && seq < last-uint64(s.opts.Limit) {
			seq = last - uint64(s.opts.Limit) // not yet trimmed, but past the limit
		}
		prefix := userPrefix(user)
		for k, v := c.Seek(histKey(user, seq+1)); isUserKey(k, prefix); k, v = c.Next() {
			out = append(out, Record{Seq: binary.BigEndian.Uint64(k[len(prefix):]), Epoch: s.epoch, Frame: append([]byte(nil), v...)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", user, err)
	}
	return out, nil
}

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
		return b.Put([]byte(user), seqKey(uint64(notBefore)))
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

// newEpoch names a new history: random, so a history rebuilt from nothing
// can never be mistaken for the lost one.
func newEpoch() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

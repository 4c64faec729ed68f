// Package store keeps each user's bounded notification history and the
// token revocations, so that neither is lost when the gateway restarts or
// crashes.
//
// An append takes one path: a committer goroutine (commit.go) gathers every
// append waiting at that moment (group commit), gives each its seq, and
// writes the whole group to the journal (journal.go) in one write(2). From
// then on the group survives a kill -9: it is delivered to live connections
// at once, and acknowledged at once too, or, with Options.Fsync, once a
// syncer goroutine (sync.go) has fsynced the journal. One fsync covers every
// group written before it, and the committer never waits for it.
//
// Behind the journal, an applier goroutine (apply.go) moves the records into
// a bbolt database (layout.go) in large batches (a few times a second),
// where they are read by user (history.go) and trimmed to the limit; then it
// deletes the journal segments it has applied. Records written but not yet
// applied are read from memory. Revocations (revoke.go) go to the database
// directly. This file holds the Store, its three locks, Open and Close.
package store

import (
	"crypto/rand"
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

// CommittedFunc is told about a record once it is stored: written to the
// journal, and fsynced with Options.Fsync. It is called in commit order,
// which per user is seq order, so delivering from it keeps every user's
// stream in order.
type CommittedFunc func(Record)

// Options tune the store.
type Options struct {
	Limit int // notifications kept per user
	// Fsync makes a record count as stored (delivered, replayed,
	// acknowledged) only once the journal is fsynced: it survives a power
	// cut. Without it a record is stored once written to the OS: it
	// survives kill -9 and reaches the disk with the next apply (within
	// ApplyEvery).
	Fsync bool
	// ApplyEvery is how often the journal is applied to the database
	// (default 250ms).
	ApplyEvery time.Duration
	// OnCommit, when set, is told the size of each group commit (metrics).
	OnCommit func(batch int, took time.Duration)
	// OnApply, when set, is told each round that moved records into the
	// database; a failed round is retried with the next.
	OnApply func(records int, err error)
}

// pendingRec is a record written to the journal, not yet to the database.
type pendingRec struct {
	user string
	Record
	synced bool // stored: fsynced, or written when not Options.Fsync
}

// Store is the history and revocation database.
type Store struct {
	// epoch names every user's history in this database: it is made when
	// the database is, so a lost database means new epochs for all.
	epoch string
	dir   string
	db    *bolt.DB
	opts  Options

	reqs  chan *appendReq
	syncq chan syncItem // committer -> syncer, in write order
	kick  chan struct{} // committer -> applier: much is pending
	// writersDone is closed when the committer and syncer have finished.
	writersDone chan struct{}
	wg          sync.WaitGroup

	mu     sync.RWMutex // guards closed and sending on reqs
	closed bool

	// segMu orders journal writes with rotation: the committer holds it
	// while writing a group and recording it as pending, the applier while
	// switching to a new segment and taking what is pending.
	segMu         sync.Mutex
	seg           *segment
	nextID        uint64
	buf           []byte // the committer's encoding buffer
	writersClosed bool   // syncq is closed (Close)

	// memMu guards what readers see of the journal: each user's last seq
	// and the records not yet in the database.
	memMu     sync.RWMutex
	heads     map[string]uint64
	applying  []*pendingRec // taken by the applier, being written to the db
	pending   []*pendingRec // written to the journal since
	applyUpTo uint64        // segments before it hold only applying's records (or older)
	roundDone chan struct{} // closed after each apply round
	applyErr  error         // the last round's failure, cleared by a success
}

// Open opens (or creates) the database in dir and applies whatever the
// journal holds from the last run (after a crash, everything written whole).
func Open(dir string, opts Options) (*Store, error) {
	if opts.Limit <= 0 {
		opts.Limit = 200
	}
	if opts.ApplyEvery <= 0 {
		opts.ApplyEvery = 250 * time.Millisecond
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	path := filepath.Join(dir, "history.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 2 * time.Second,
		// The database is written behind the journal, in large batches,
		// so it is always fsynced: a torn database is not recoverable, a
		// torn journal tail is.
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
	s := &Store{dir: dir, db: db, opts: opts, heads: map[string]uint64{}, roundDone: make(chan struct{})}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	s.reqs = make(chan *appendReq, 1024)
	s.syncq = make(chan syncItem, 1024)
	s.kick = make(chan struct{}, 1)
	s.writersDone = make(chan struct{})
	s.wg.Add(3)
	go s.commitLoop()
	go s.syncLoop()
	go s.applyLoop()
	return s, nil
}

// init creates the buckets and the epoch, replays the journal left by the
// last run into the database, and starts a new journal segment.
func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketHistory, bucketInfo, bucketRevoked} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		info := tx.Bucket(bucketInfo)
		if e := info.Get(keyEpoch); e != nil {
			s.epoch = string(e)
			return nil
		}
		s.epoch = NewEpoch()
		return info.Put(keyEpoch, []byte(s.epoch))
	})
	if err != nil {
		return fmt.Errorf("initialise %s: %w", s.db.Path(), err)
	}
	ids, err := listSegments(s.dir)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	var recs []*pendingRec
	for _, id := range ids {
		epoch, jr, err := readSegment(segmentPath(s.dir, id))
		if err != nil {
			return fmt.Errorf("read journal: %w", err)
		}
		if epoch != s.epoch {
			continue // written for a database that is gone: that history is lost
		}
		for _, r := range jr {
			recs = append(recs, &pendingRec{user: r.user, Record: Record{Seq: r.seq, Epoch: epoch, Frame: r.frame}})
		}
	}
	if err := s.applyRecords(recs); err != nil {
		return fmt.Errorf("replay journal: %w", err)
	}
	if len(ids) > 0 {
		s.nextID = ids[len(ids)-1] + 1
	}
	if err := s.removeSegments(ids); err != nil {
		return err
	}
	return s.newSegment()
}

// newSegment switches the journal to a fresh segment; segMu held (or not
// yet shared).
func (s *Store) newSegment() error {
	seg, err := createSegment(s.dir, s.nextID, s.epoch)
	if err != nil {
		return err
	}
	s.nextID++
	if s.opts.Fsync {
		// fsync of the file does not make its name durable.
		if err := syncDir(s.dir); err != nil {
			seg.f.Close()
			os.Remove(seg.path)
			return fmt.Errorf("sync state directory: %w", err)
		}
	}
	old := s.seg
	s.seg = seg
	if old != nil {
		if s.opts.Fsync {
			s.syncq <- syncItem{closeSeg: old} // after its last fsync
		} else {
			old.f.Close()
		}
	}
	return nil
}

func (s *Store) removeSegments(ids []uint64) error {
	for _, id := range ids {
		if err := os.Remove(segmentPath(s.dir, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove applied journal segment: %w", err)
		}
	}
	return nil
}

// Close finishes pending appends, applies the journal to the database and
// closes it.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs) // the committer drains, then closes syncq
	s.mu.Unlock()
	s.wg.Wait() // the applier's last round ran after both
	s.memMu.RLock()
	err := s.applyErr
	s.memMu.RUnlock()
	return errors.Join(err, s.db.Close())
}

// Epoch names this database (made with it; a lost database gets a new one).
func (s *Store) Epoch() string { return s.epoch }

// NewEpoch names a new history: random, so a history rebuilt from nothing
// can never be mistaken for the lost one.
func NewEpoch() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

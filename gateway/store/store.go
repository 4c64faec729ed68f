// Package store keeps each user's bounded notification history and the
// token revocations, so that neither is lost when the gateway restarts or
// crashes.
//
// The history is log-structured: the journal's segments (journal.go) are
// the history, and an index in memory (index.go) says where each user's
// last Limit records are in them; a read is a pread from the page cache.
//
// An append takes one path, with no goroutine in between when the gateway
// is not busy: the first appender to arrive leads (commit.go). It takes
// every append waiting at that moment (group commit), gives each its seq,
// writes the whole group to the journal in one write(2), updates the index,
// and hands the lead to the next waiting appender. From then on the group
// survives a kill -9: it is delivered to live connections at once, and
// acknowledged at once too, or, with Options.Fsync, once a syncer goroutine
// (sync.go) has fsynced the journal. One fsync covers every group written
// before it, and no appender waits for another's fsync.
//
// Behind the writers, a reclaimer goroutine (reclaim.go) fsyncs what was
// written (a few times a second), deletes sealed segments the index no
// longer points to, and compacts a sealed segment that is mostly dead by
// appending its live records again (same seq, same frame) through the same
// path, a little at a time. Revocations and the epoch are in a small bbolt
// database (state.go), written rarely. This file holds the Store, Open and
// Close.
package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
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
	// survives kill -9 and reaches the disk with the next background
	// round (within ApplyEvery).
	Fsync bool
	// ApplyEvery is how often the background round fsyncs the journal and
	// deletes dead segments (default 250ms); compaction, when there is
	// some to do, runs in small steps in between.
	ApplyEvery time.Duration
	// OnCommit, when set, is told the size of each group commit (metrics).
	OnCommit func(batch int, took time.Duration)
	// OnApply, when set, is told each background round that did work (the
	// records compaction moved) or failed; a failed round is retried with
	// the next.
	OnApply func(records int, err error)
}

// Store is the history and revocation database.
type Store struct {
	// epoch names every user's history in this state directory: it is made
	// with it, so a lost history means new epochs for all.
	epoch string
	dir   string
	db    *bolt.DB // state.db: the epoch and the revocations
	opts  Options

	mu       sync.RWMutex // guards closed and counting inflight
	closed   bool
	inflight sync.WaitGroup // appends and compaction batches under way

	// The leader's queue (commit.go).
	qMu     sync.Mutex
	queue   []*appendReq
	leading bool

	// Owned by the leader.
	cur    *segment // the segment being written
	nextID uint64
	buf    []byte
	batch  []*appendReq
	placed []placed

	syncq    chan syncItem // leader -> syncer, in write order (Fsync)
	syncDone chan struct{}

	// idxMu guards the index: users, segs, and each segment's counts.
	// Only the leader changes users; the reclaimer removes from segs.
	idxMu sync.RWMutex
	users map[string]*userHist
	segs  map[uint32]*segment

	appended atomic.Int64 // bytes appended (not copies): paces compaction

	stop        chan struct{} // Close -> reclaimer
	reclaimDone chan struct{}
}

// Open opens (or creates) the history in dir: it converts a history left
// by an older gateway (upgrade.go), rebuilds the index from the journal
// (after a crash, everything written whole), and starts a new segment.
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
	db, epoch, err := openState(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{
		dir: dir, db: db, epoch: epoch, opts: opts,
		users: map[string]*userHist{}, segs: map[uint32]*segment{},
		stop: make(chan struct{}), reclaimDone: make(chan struct{}),
	}
	if err := s.init(); err != nil {
		s.closeFiles()
		db.Close()
		return nil, err
	}
	if opts.Fsync {
		s.syncq = make(chan syncItem, 1024)
		s.syncDone = make(chan struct{})
		go s.syncLoop()
	}
	go s.reclaimLoop()
	return s, nil
}

// init rebuilds the index from the journal and starts a new segment, so
// nothing is ever written behind a torn record.
func (s *Store) init() error {
	ids, err := listSegments(s.dir)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	if err := s.rebuild(ids); err != nil {
		return err
	}
	return s.newSegment()
}

// newSegment seals the current segment and starts the next; the leader's
// (or not yet shared).
func (s *Store) newSegment() error {
	if s.nextID > 1<<32-2 {
		return errors.New("journal segment ids exhausted")
	}
	path := segmentPath(s.dir, s.nextID)
	f, size, err := createSegmentFile(path, s.epoch)
	if err != nil {
		return err
	}
	if s.opts.Fsync {
		// fsync of the file does not make its name durable.
		if err := syncDir(s.dir); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("sync state directory: %w", err)
		}
	}
	g := &segment{id: uint32(s.nextID), path: path, f: f, size: size}
	s.nextID++
	s.idxMu.Lock()
	s.segs[g.id] = g
	s.cur = g
	s.idxMu.Unlock()
	return nil
}

// Close finishes pending appends, fsyncs the journal and closes it.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.reclaimDone
	s.inflight.Wait()
	if s.syncq != nil {
		close(s.syncq)
		<-s.syncDone
	}
	var errs []error
	s.idxMu.RLock()
	for _, g := range s.segs {
		if g.size > g.syncedSize {
			if err := g.f.Sync(); err != nil {
				errs = append(errs, fmt.Errorf("fsync journal: %w", err))
			}
		}
	}
	s.idxMu.RUnlock()
	s.closeFiles()
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

func (s *Store) closeFiles() {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	for _, g := range s.segs {
		if g.f != nil {
			g.retire()
		}
	}
}

// Epoch names this history (made with it; a lost history gets a new one).
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

// Package store keeps each user's bounded notification history and the
// token revocations, so that neither is lost when the gateway restarts or
// crashes.
//
// An append takes one path: a committer goroutine gathers every append
// waiting at that moment (group commit), gives each its seq, and writes the
// whole group to the journal (journal.go) in one write(2). From then on the
// group survives a kill -9: it is delivered to live connections at once,
// and acknowledged at once too, or, with Options.Fsync, once a syncer
// goroutine has fsynced the journal. One fsync covers every group written
// before it, and the committer never waits for it.
//
// Behind the journal, an applier goroutine moves the records into a bbolt
// database in large batches (a few times a second), where they are read by
// user and trimmed to the limit; then it deletes the journal segments it
// has applied. Records written but not yet applied are read from memory.
package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
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

type appendReq struct {
	user  string
	build FrameFunc
	after CommittedFunc
	rec   Record
	err   error
	done  chan struct{}
	pr    *pendingRec
}

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

const maxBatch = 256

// applyAt pending records wake the applier early; at maxPending the
// committer waits for it, so memory stays bounded if the database falls
// behind. Variables so a test can make them small.
var (
	applyAt    = 16384
	maxPending = 8 * applyAt
)

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

// Append stores a new notification for user under the next seq and returns
// it once it is written to the journal (and fsynced, with Options.Fsync)
// and after has run. Concurrent appends are ordered by their arrival at the
// committer.
func (s *Store) Append(user string, build FrameFunc, after CommittedFunc) (Record, error) {
	if len(user) > maxUser {
		return Record{}, fmt.Errorf("user name longer than %d bytes", maxUser)
	}
	r := &appendReq{user: user, build: build, after: after, done: make(chan struct{})}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return Record{}, ErrClosed
	}
	s.reqs <- r
	s.mu.RUnlock()
	<-r.done
	return r.rec, r.err
}

func (s *Store) commitLoop() {
	defer s.wg.Done()
	batch := make([]*appendReq, 0, maxBatch)
	for first := range s.reqs {
		batch = gather(s.reqs, append(batch[:0], first), maxBatch)
		s.commit(batch)
		clear(batch)
	}
	s.segMu.Lock()
	s.writersClosed = true
	close(s.syncq)
	s.segMu.Unlock()
}

// gather appends to batch whatever ch holds right now, up to max items in
// all: a group is what waited together, and nothing waits for company.
func gather[T any](ch <-chan T, batch []T, max int) []T {
	for len(batch) < max {
		select {
		case v, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}

// commit writes one group to the journal, delivers it, and acknowledges it
// (or hands it to the syncer).
func (s *Store) commit(batch []*appendReq) {
	start := time.Now()
	s.segMu.Lock()
	buf := s.buf[:0]
	recs := make([]*pendingRec, 0, len(batch))
	s.memMu.RLock()
	for _, r := range batch {
		seq, err := s.head(r.user)
		if err == nil {
			// Within the group, a user's later appends follow the earlier.
			for i := len(recs) - 1; i >= 0; i-- {
				if recs[i].user == r.user {
					seq = recs[i].Seq
					break
				}
			}
			seq++
			var frame []byte
			if frame, err = r.build(seq, s.epoch); err == nil {
				r.rec = Record{Seq: seq, Epoch: s.epoch, Frame: frame}
				r.pr = &pendingRec{user: r.user, Record: r.rec, synced: !s.opts.Fsync}
				recs = append(recs, r.pr)
				buf = appendRecord(buf, r.user, seq, frame)
			}
		}
		r.err = err
	}
	s.memMu.RUnlock()
	var werr error
	if len(buf) > 0 {
		_, werr = s.seg.f.Write(buf)
	}
	if werr != nil {
		// Nothing of this group counts: its seqs are given again. Later
		// groups go to a new segment, never behind a torn record; a whole
		// record of this group left in the old one is overwritten at
		// recovery by the later one with its seq.
		werr = fmt.Errorf("write journal: %w", werr)
		if err := s.newSegment(); err != nil {
			werr = errors.Join(werr, err)
		}
	} else {
		s.memMu.Lock()
		for _, r := range recs {
			s.heads[r.user] = r.Seq
		}
		s.pending = append(s.pending, recs...)
		s.memMu.Unlock()
	}
	seg := s.seg
	if cap(buf) <= 1<<20 { // keep a usual buffer, not a rare huge one
		s.buf = buf
	}
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(len(batch), time.Since(start))
	}
	var waiting []*appendReq
	for _, r := range batch {
		if werr != nil && r.err == nil {
			r.rec, r.err = Record{}, werr
		}
		switch {
		case r.err != nil:
			close(r.done)
		case s.opts.Fsync:
			waiting = append(waiting, r)
		default:
			if r.after != nil {
				r.after(r.rec)
			}
			close(r.done)
		}
	}
	if len(waiting) > 0 {
		// Queued under segMu so a rotation's close follows it.
		s.syncq <- syncItem{seg: seg, reqs: waiting}
	}
	s.segMu.Unlock()
	s.throttle()
}

// head is user's last seq; memMu read-held. A user not seen since start is
// read from the database, which then holds all their records.
func (s *Store) head(user string) (uint64, error) {
	if seq, ok := s.heads[user]; ok {
		return seq, nil
	}
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		seq = lastSeq(tx.Bucket(bucketHistory).Cursor(), user)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read history of %q: %w", user, err)
	}
	return seq, nil
}

// throttle wakes the applier when much is pending, and waits for it when
// too much is.
func (s *Store) throttle() {
	s.memMu.RLock()
	n, round := len(s.pending), s.roundDone
	s.memMu.RUnlock()
	if n < applyAt {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	if n >= maxPending {
		<-round
	}
}

// syncItem is a group waiting for fsync, or a segment to close once every
// group written to it is fsynced.
type syncItem struct {
	seg      *segment
	reqs     []*appendReq
	closeSeg *segment
}

// syncLoop fsyncs the journal for every group queued, one fsync per
// segment for all groups waiting at that moment.
func (s *Store) syncLoop() {
	defer s.wg.Done()
	var items []syncItem
	for first := range s.syncq {
		items = gather(s.syncq, append(items[:0], first), cap(s.syncq))
		errs := map[*segment]error{}
		for _, it := range items {
			if it.seg == nil {
				continue
			}
			if _, done := errs[it.seg]; !done {
				errs[it.seg] = it.seg.f.Sync()
			}
			err := errs[it.seg]
			if err == nil {
				s.memMu.Lock()
				for _, r := range it.reqs {
					r.pr.synced = true
				}
				s.memMu.Unlock()
			}
			for _, r := range it.reqs {
				if err != nil {
					// Still in the journal, so it may yet be delivered
					// after a restart, but the dispatcher hears it failed.
					r.rec, r.err = Record{}, fmt.Errorf("fsync journal: %w", err)
				} else if r.after != nil {
					r.after(r.rec)
				}
				close(r.done)
			}
		}
		for _, it := range items {
			if it.closeSeg != nil {
				it.closeSeg.f.Close()
			}
		}
		clear(items)
	}
	close(s.writersDone)
}

// applyLoop applies the journal to the database every ApplyEvery, or
// sooner when much is pending, and a last time at Close.
func (s *Store) applyLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.ApplyEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.kick:
		case <-s.writersDone: // Close: the committer and syncer are finished
			s.applyRound(true)
			return
		}
		s.applyRound(false)
	}
}

// applyRound moves what is pending into the database and deletes the
// journal segments that held it. The last round (at Close) applies all and
// leaves no journal behind.
func (s *Store) applyRound(last bool) {
	s.segMu.Lock()
	if s.writersClosed && !last {
		s.segMu.Unlock()
		return // Close is under way; its last round follows
	}
	// Switch segments first, so every segment before the current one
	// holds only records being applied now (or applied before).
	take := s.applying == nil && len(s.pending) > 0
	var rotateErr error
	if take && !last {
		rotateErr = s.newSegment() // on failure the current one stays: nothing is deleted early
	}
	s.memMu.Lock()
	switch {
	case last:
		s.applying = append(s.applying, s.pending...)
		s.pending = nil
		s.seg.f.Close()
		s.applyUpTo = s.seg.id + 1
	case take:
		s.applying, s.pending = s.pending, nil
		s.applyUpTo = s.seg.id
	}
	recs, upTo := s.applying, s.applyUpTo
	s.memMu.Unlock()
	s.segMu.Unlock()

	err := s.applyRecords(recs)
	if err == nil && (len(recs) > 0 || last) {
		var ids []uint64
		if ids, err = listSegments(s.dir); err == nil {
			var applied []uint64
			for _, id := range ids {
				if id < upTo {
					applied = append(applied, id)
				}
			}
			err = s.removeSegments(applied)
		}
	}
	applied := err == nil
	// A failed switch of segments loses nothing (the records are applied
	// and their segment kept), but the operator hears of it.
	err = errors.Join(err, rotateErr)
	if s.opts.OnApply != nil && (len(recs) > 0 || err != nil) {
		s.opts.OnApply(len(recs), err)
	}
	s.memMu.Lock()
	if applied {
		s.applying = nil
	}
	s.applyErr = err
	close(s.roundDone)
	s.roundDone = make(chan struct{})
	s.memMu.Unlock()
}

// trimEvery spreads trimming: old records are deleted in runs every few
// appends instead of one per append. Since never returns more than the limit.
const trimEvery = 16

// applyRecords writes records to the database in one transaction. Applying
// a record twice (a crash between the commit and the journal's removal)
// writes the same value again.
func (s *Store) applyRecords(recs []*pendingRec) error {
	if len(recs) == 0 {
		return nil
	}
	// In key order, each leaf is found next to the last one instead of from
	// the root: BenchmarkAppend 9.1-9.6 -> 8.0-8.6 µs per append. Stable,
	// so a user's records keep their seq order (trimming relies on it).
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b *pendingRec) int { return strings.Compare(a.user, b.user) })
	return s.db.Update(func(tx *bolt.Tx) error {
		hist := tx.Bucket(bucketHistory)
		for i, r := range recs {
			if i%64 == 63 {
				// A round can take milliseconds of CPU; goroutines queued
				// behind it on this P (a delivery, a dispatch) would wait
				// for the scheduler's 10 ms preemption. Measured: p99 at
				// 2,000 dispatches/s 3.1-3.2 ms without, 2.5-2.7 ms with.
				runtime.Gosched()
			}
			if err := hist.Put(histKey(r.user, r.Seq), r.Frame); err != nil {
				return err
			}
			if r.Seq > uint64(s.opts.Limit) && r.Seq%trimEvery == 0 {
				cut := r.Seq - uint64(s.opts.Limit)
				c := hist.Cursor()
				prefix := userPrefix(r.user)
				for k, _ := c.Seek(prefix); isUserKey(k, prefix) && binary.BigEndian.Uint64(k[len(prefix):]) <= cut; k, _ = c.Next() {
					if err := c.Delete(); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
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
	if epoch != s.epoch {
		seq = 0
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
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		if !known {
			head = lastSeq(c, user)
		}
		if head > uint64(s.opts.Limit) && seq < head-uint64(s.opts.Limit) {
			seq = head - uint64(s.opts.Limit) // not yet trimmed, but past the limit
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
	if n := len(out); n > 0 {
		seq = out[n-1].Seq
	}
	for _, r := range mem {
		if r.Seq > seq && r.Seq <= head {
			out = append(out, r)
			seq = r.Seq
		}
	}
	return out, nil
}

// Epoch names this database's history (every user's).
func (s *Store) Epoch() string { return s.epoch }

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
		// A key is user, 0x00, an 8-byte seq: the user is all but the last 9.
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

// NewEpoch names a new history: random, so a history rebuilt from nothing
// can never be mistaken for the lost one.
func NewEpoch() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

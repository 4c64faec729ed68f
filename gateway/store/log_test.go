package store

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// userFrame is a frame that names its user and seq, so a record read back
// from the wrong place is caught.
func userFrame(user string) FrameFunc {
	return func(seq uint64, epoch string) ([]byte, error) {
		return []byte(fmt.Sprintf(`{"user":%q,"seq":%d,"epoch":%q}`, user, seq, epoch)), nil
	}
}

// checkHistory fails unless user's history is exactly the seqs from..to,
// each with its own frame.
func checkHistory(t *testing.T, s *Store, user string, from, to uint64) {
	t.Helper()
	recs, err := s.Since(user, "", 0)
	if err != nil {
		t.Fatalf("%s: %v", user, err)
	}
	if len(recs) != int(to-from+1) {
		t.Fatalf("%s: %d records, want seqs %d..%d", user, len(recs), from, to)
	}
	for i, r := range recs {
		want, _ := userFrame(user)(from+uint64(i), s.Epoch())
		if r.Seq != from+uint64(i) || string(r.Frame) != string(want) {
			t.Fatalf("%s: record %d is seq %d %s, want seq %d", user, i, r.Seq, r.Frame, from+uint64(i))
		}
	}
}

// smallSegments makes segments small and compaction eager for one test.
func smallSegments(t testing.TB, size int64) {
	t.Helper()
	oldMax, oldRate, oldTick := segmentMax, compactRate, compactTick
	segmentMax, compactRate, compactTick = size, 64<<20, time.Millisecond
	t.Cleanup(func() { segmentMax, compactRate, compactTick = oldMax, oldRate, oldTick })
}

// diskUse is the bytes of the journal's segments in dir.
func diskUse(t *testing.T, dir string) (total int64, files int) {
	ids, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if st, err := os.Stat(segmentPath(dir, id)); err == nil {
			total += st.Size()
			files++
		}
	}
	return total, files
}

// waitCompacted waits until no segment but the current is dead or due for
// compaction (a condition; the deadline only ends a hang).
func waitCompacted(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s.idxMu.RLock()
		due := 0
		for _, g := range s.segs {
			if g != s.cur && (g.live == 0 || float64(g.liveBytes) < compactBelow*float64(g.dataBytes(s.epoch))) {
				due++
			}
		}
		s.idxMu.RUnlock()
		if due == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d segments still dead or due for compaction", due)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Compaction moves records while appends and reads go on: every read is
// the user's records in seq order with no gap or duplicate, each frame its
// own, and after a reopen the history is the same.
func TestCompactionUnderConcurrentAppendsAndReads(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		t.Run(fmt.Sprint("fsync=", fsync), func(t *testing.T) {
			smallSegments(t, 4096)
			dir := t.TempDir()
			var copied atomic.Int64
			opts := Options{Limit: 20, Fsync: fsync, ApplyEvery: 2 * time.Millisecond, OnApply: func(n int, err error) {
				if err != nil {
					t.Error(err)
				}
				copied.Add(int64(n))
			}}
			s, err := Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			const users, writers = 16, 8
			each := 600
			if fsync {
				each = 150
			}
			stop := make(chan struct{})
			var readers sync.WaitGroup
			for r := 0; r < 4; r++ {
				readers.Add(1)
				go func() {
					defer readers.Done()
					last := map[string]uint64{}
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						user := fmt.Sprint("u", (r+i)%users)
						p, err := s.Page(user, "", 0, 200*(1+i%3))
						if err != nil {
							t.Error(err)
							return
						}
						for j, rec := range p.Records {
							want, _ := userFrame(user)(rec.Seq, rec.Epoch)
							if string(rec.Frame) != string(want) {
								t.Errorf("%s seq %d has frame %s", user, rec.Seq, rec.Frame)
								return
							}
							if j > 0 && rec.Seq != p.Records[j-1].Seq+1 {
								t.Errorf("%s: gap or duplicate: %d after %d", user, rec.Seq, p.Records[j-1].Seq)
								return
							}
						}
						if n := len(p.Records); n > 0 {
							top := p.Records[0].Seq + uint64(p.Total) - 1
							if top < last[user] {
								t.Errorf("%s: history went back from %d to %d", user, last[user], top)
								return
							}
							last[user] = top
						}
					}
				}()
			}
			var writersWG sync.WaitGroup
			for w := 0; w < writers; w++ {
				writersWG.Add(1)
				go func() {
					defer writersWG.Done()
					for i := 0; i < each; i++ {
						user := fmt.Sprint("u", (w+i*writers)%users)
						if _, err := s.Append(user, userFrame(user), nil); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			writersWG.Wait()
			close(stop)
			readers.Wait()
			waitCompacted(t, s)
			if copied.Load() == 0 {
				t.Fatal("nothing was compacted")
			}
			per := uint64(writers * each / users)
			for u := 0; u < users; u++ {
				checkHistory(t, s, fmt.Sprint("u", u), per-19, per)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(dir, Options{Limit: 20}); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for u := 0; u < users; u++ {
				checkHistory(t, s, fmt.Sprint("u", u), per-19, per)
			}
			t.Logf("%d records copied by compaction", copied.Load())
		})
	}
}

// A long run keeps the disk bounded: dead segments are deleted and mostly
// dead ones compacted as records are appended. The run is in phases, each
// followed by the reclaimer catching up (a condition, not a time: how far
// it trails while appending depends on the disk's fsync latency, since
// nothing is deleted before what replaced it is fsynced), and the journal
// must then be near the live records, whatever was written before.
func TestDiskUseStaysBounded(t *testing.T) {
	smallSegments(t, 64<<10)
	dir := t.TempDir()
	s, err := Open(dir, Options{Limit: 20, ApplyEvery: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const users, phases, perPhase = 100, 20, 5000
	body := strings.Repeat("x", 100)
	build := func(uint64, string) ([]byte, error) { return []byte(body), nil }
	size := int64(recordSize("u00", len(body)))
	live := users * 20 * size
	bound := int64(float64(live)/compactBelow) + 2*segmentMax
	var written, peak int64
	for phase := 0; phase < phases; phase++ {
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < perPhase; i += 8 {
					// Users at uneven rates in odd phases, so that
					// segments are partly live and compaction has work.
					u := i % users
					if phase%2 == 1 {
						u = (i * i) % users
					}
					if _, err := s.Append(fmt.Sprintf("u%02d", u), build, nil); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		written += perPhase * size
		waitCompacted(t, s)
		used, files := diskUse(t, dir)
		if used > bound {
			t.Fatalf("after phase %d (%d bytes written) the journal holds %d bytes in %d files, want at most %d (live %d)", phase, written, used, files, bound, live)
		}
		peak = max(peak, used)
	}
	t.Logf("written %d bytes, live %d, at most %d on disk between phases", written, live, peak)
}

// The crash helper for TestCrashDuringCompaction: a store whose records
// were all appended by an earlier process compacts and is killed at the
// given point.
const compactCrashEnv = "STORE_COMPACT_CRASH"

// User k appends in every (k+1)th of crashRounds rounds: the rare users'
// live records are spread over old segments, which compaction then moves.
const crashUsers, crashRounds, crashLimit = 10, 300, 50

func crashAppends(k int) uint64 { return uint64((crashRounds + k) / (k + 1)) }

func TestCompactCrashHelper(t *testing.T) {
	spec := os.Getenv(compactCrashEnv)
	if spec == "" {
		t.Skip("run by TestCrashDuringCompaction")
	}
	dir, at, _ := strings.Cut(spec, "|")
	point, nth, _ := strings.Cut(at, ":")
	n, _ := strconv.Atoi(nth)
	smallSegments(t, 4096)
	var seen atomic.Int64
	testHook = func(p string) {
		if p == point && seen.Add(1) == int64(n) {
			// SIGKILL on Unix, TerminateProcess on Windows: no deferred code runs.
			self, _ := os.FindProcess(os.Getpid())
			self.Kill()
		}
	}
	s, err := Open(dir, Options{Limit: crashLimit, ApplyEvery: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Second)
	s.Close()
	os.Exit(3) // the point was never reached
}

// A kill -9 anywhere in compaction loses nothing and duplicates no seq:
// after copies are written, after the round's fsync, after a deletion.
func TestCrashDuringCompaction(t *testing.T) {
	for _, at := range []string{"copied:1", "copied:4", "synced:1", "synced:3", "deleted:1", "deleted:5"} {
		t.Run(at, func(t *testing.T) {
			smallSegments(t, 4096)
			dir := t.TempDir()
			// Every record is appended first, with no compaction, and the
			// store closed: the helper's run is compaction only.
			s, err := Open(dir, Options{Limit: crashLimit, ApplyEvery: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < crashRounds; i++ {
				for u := 0; u < crashUsers; u++ {
					if i%(u+1) != 0 {
						continue
					}
					user := fmt.Sprint("u", u)
					if _, err := s.Append(user, userFrame(user), nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			s.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCompactCrashHelper$")
			cmd.Env = append(os.Environ(), compactCrashEnv+"="+dir+"|"+at)
			err = cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the helper was not killed at %s: %v", at, err)
			}
			// A copy torn in the middle of its write, as well.
			if ids, _ := listSegments(dir); len(ids) > 0 {
				f, _ := os.OpenFile(segmentPath(dir, ids[len(ids)-1]), os.O_WRONLY|os.O_APPEND, 0)
				f.Write(appendRecord(nil, kindCopy, "u9", 1, []byte("torn"))[:12])
				f.Close()
			}
			for round := 0; round < 2; round++ {
				s, err := Open(dir, Options{Limit: crashLimit, ApplyEvery: 2 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				for u := 0; u < crashUsers; u++ {
					n := crashAppends(u)
					checkHistory(t, s, fmt.Sprint("u", u), max(n, crashLimit)-crashLimit+1, n)
				}
				if round == 0 {
					waitCompacted(t, s) // and again once compaction has finished
				} else if r, _ := s.Append("u9", userFrame("u9"), nil); r.Seq != crashAppends(9)+1 {
					t.Fatalf("next seq %d, want %d", r.Seq, crashAppends(9)+1)
				}
				s.Close()
			}
		})
	}
}

// extract unpacks a state directory made by an older gateway.
func extract(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dir, filepath.Base(h.Name)), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
}

// testdata/v1-state.tar.gz is a state directory written by the gateway
// before the journal was the history (the store of commit 0016fc7): 250
// appends to each of four users with limit 200 and a revocation, closed
// (all in history.db, trimmed), then 20 more each and kill -9 (only in the
// journal). It opens with every record, seq, epoch and revocation kept,
// also when an earlier upgrade was cut short, and history.db is then the
// guard, the database set aside.
func TestUpgradeFromBboltHistory(t *testing.T) {
	users := []string{"u0", "u1", "zoë", "a\x00b"}
	for _, c := range []struct{ cut, setAside bool }{{false, false}, {true, false}, {false, true}} {
		cut, setAside := c.cut, c.setAside
		t.Run(fmt.Sprintf("cut short=%v set aside=%v", cut, setAside), func(t *testing.T) {
			dir := t.TempDir()
			extract(t, "testdata/v1-state.tar.gz", dir)
			var oldEpoch string
			scanSegment(segmentPath(dir, 0), func(v int, e string) bool { oldEpoch = e; return false }, nil)
			if cut {
				// An upgrade killed before its end: state.db without the
				// epoch, and a new segment half written.
				db, err := openBolt(filepath.Join(dir, stateFile))
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
				f, _, _ := createSegmentFile(segmentPath(dir, 1), oldEpoch)
				f.Write(appendRecord(nil, kindAppend, "u0", 999, []byte("half")))
				f.Close()
			}
			if setAside {
				// A start killed after the upgrade, between setting the
				// database aside and putting the guard in its place.
				os.Link(filepath.Join(dir, oldHistoryFile), filepath.Join(dir, oldHistoryFile+setAsideSuffix))
			}
			for round := 0; round < 2; round++ {
				s, err := Open(dir, Options{Limit: 200})
				if err != nil {
					t.Fatal(err)
				}
				if s.Epoch() != oldEpoch || oldEpoch == "" {
					t.Fatalf("epoch %q, want the old history's %q", s.Epoch(), oldEpoch)
				}
				got, _ := s.Users()
				if fmt.Sprint(got) != fmt.Sprint([]string{"a\x00b", "u0", "u1", "zoë"}) {
					t.Fatalf("users %q", got)
				}
				for _, u := range users {
					if u == "u1" { // appended to below, in round 0
						checkHistory(t, s, u, uint64(71+round), uint64(270+round))
					} else {
						checkHistory(t, s, u, 71, 270)
					}
				}
				if rv, _ := s.Revocations(); rv["u1"] != 1700000000 || len(rv) != 1 {
					t.Fatalf("revocations %v", rv)
				}
				if r, err := s.Append("u1", userFrame("u1"), nil); err != nil || r.Seq != uint64(271+round) {
					t.Fatalf("next append: %+v %v, want seq %d", r, err, 271+round)
				}
				s.Close()
				checkGuard(t, dir)
				aside, err := openBolt(filepath.Join(dir, oldHistoryFile+setAsideSuffix))
				if err != nil {
					t.Fatalf("history.db not set aside: %v", err)
				}
				aside.Close()
			}
		})
	}
}

// checkGuard fails unless history.db in dir is the guard and bbolt (the
// version older gateways open it with) refuses it without changing it.
func checkGuard(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, oldHistoryFile)
	before, err := os.ReadFile(path)
	if err != nil || string(before) != guardText {
		t.Fatalf("history.db is not the guard: %v %.60q", err, before)
	}
	if db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second}); !errors.Is(err, berrors.ErrInvalid) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("bbolt opens the guard: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatalf("bbolt changed the guard: %.60q", after)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("the guard's temporary file is left: %v", err)
	}
}

// A new folder gets the guard before its first segment, and keeps it.
func TestNewFolderIsGuarded(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append("u", userFrame("u"), nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
		checkGuard(t, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, oldHistoryFile+setAsideSuffix)); !os.IsNotExist(err) {
		t.Fatalf("a new folder has a converted history: %v", err)
	}
}

// A converted history.db is not set aside over a different file of that
// name (an operator's copy): the start fails saying so, and history.db is
// left in place for the next start.
func TestUpgradeKeepsAnotherConvertedFile(t *testing.T) {
	dir := t.TempDir()
	extract(t, "testdata/v1-state.tar.gz", dir)
	aside := filepath.Join(dir, oldHistoryFile+setAsideSuffix)
	if err := os.WriteFile(aside, []byte("an operator's copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("open = %v, want the refusal to set aside over %s", err, aside)
	}
	if data, _ := os.ReadFile(aside); string(data) != "an operator's copy" {
		t.Fatalf("%s overwritten: %.60q", aside, data)
	}
	db, err := openBolt(filepath.Join(dir, oldHistoryFile))
	if err != nil {
		t.Fatalf("history.db replaced: %v", err)
	}
	db.Close()
	if err := os.Remove(aside); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	checkHistory(t, s, "u0", 71, 270)
	s.Close()
	checkGuard(t, dir)
}

// A reopen keeps each user's last Limit records, also when the limit is
// now lower than when they were written.
func TestReopenKeepsTheLastLimit(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 64; i++ {
		s.Append("petr", userFrame("petr"), nil)
	}
	checkHistory(t, s, "petr", 15, 64)
	s.Close()
	for _, limit := range []int{50, 10} {
		s, err := Open(dir, Options{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		checkHistory(t, s, "petr", uint64(65-limit), 64)
		s.Close()
	}
}

package store

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

func frame(seq uint64, epoch string) ([]byte, error) {
	return []byte(fmt.Sprintf(`{"seq":%d,"epoch":%q}`, seq, epoch)), nil
}

func TestAppendSinceTrimReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Limit: 3, Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	var epoch string
	for i := 1; i <= 5; i++ {
		r, err := s.Append("petr", frame, nil)
		if err != nil || r.Seq != uint64(i) {
			t.Fatalf("append %d: %+v %v", i, r, err)
		}
		epoch = r.Epoch
	}
	recs, _ := s.Since("petr", "", 0)
	if len(recs) != 3 || recs[0].Seq != 3 || recs[2].Seq != 5 {
		t.Fatalf("trimmed history: %+v", recs)
	}
	recs, _ = s.Since("petr", epoch, 4)
	if len(recs) != 1 || recs[0].Seq != 5 {
		t.Fatalf("since 4: %+v", recs)
	}
	if recs, _ := s.Since("nobody", "", 0); len(recs) != 0 {
		t.Fatalf("unknown user: %+v", recs)
	}
	s.SetRevoked("petr", 100)
	if cut, _ := s.SetRevoked("petr", 50); cut != 100 {
		t.Fatalf("cutoff moved backwards to %d", cut)
	}
	s.Close()

	s, err = Open(dir, Options{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, _ := s.Append("petr", frame, nil)
	if r.Seq != 6 || r.Epoch != epoch {
		t.Fatalf("after reopen: %+v, want seq 6 epoch %s", r, epoch)
	}
	rv, _ := s.Revocations()
	if rv["petr"] != 100 {
		t.Fatalf("revocations: %v", rv)
	}
	// A second process cannot open the same database.
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("opened a locked database")
	}
}

func TestConcurrentAppendsAreCommittedInOrder(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Limit: 10000, Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const workers, each = 16, 50
	var order sync.Mutex
	delivered := map[string][]uint64{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprint("u", w%4)
			for i := 0; i < each; i++ {
				_, err := s.Append(user, frame, func(r Record) {
					order.Lock()
					delivered[user] = append(delivered[user], r.Seq)
					order.Unlock()
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for user, seqs := range delivered {
		for i, seq := range seqs {
			if seq != uint64(i+1) {
				t.Fatalf("%s: committed callbacks out of order at %d: %v", user, i, seqs[:i+1])
			}
		}
	}
}

// Appends that arrive while one is being written are written together,
// in one write, by the next leader.
func TestWaitingAppendsAreWrittenInOneGroup(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		t.Run(fmt.Sprint("fsync=", fsync), func(t *testing.T) {
			var mu sync.Mutex
			var batches []int
			s, err := Open(t.TempDir(), Options{Fsync: fsync, OnCommit: func(n int, _ time.Duration) {
				mu.Lock()
				batches = append(batches, n)
				mu.Unlock()
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			const others = 15
			queued := func() int {
				s.qMu.Lock()
				defer s.qMu.Unlock()
				return len(s.queue)
			}
			// The first append's frame is built while the others queue.
			slow := func(seq uint64, epoch string) ([]byte, error) {
				deadline := time.Now().Add(time.Minute) // only ends a hang
				for queued() < others && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				return frame(seq, epoch)
			}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.Append("first", slow, nil)
			}()
			for queued() == 0 { // wait for the first to lead
				s.qMu.Lock()
				leading := s.leading
				s.qMu.Unlock()
				if leading {
					break
				}
				time.Sleep(time.Millisecond)
			}
			for i := 0; i < others; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Append(fmt.Sprint("u", i%3), frame, nil); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(batches) != fmt.Sprint([]int{1, others}) {
				t.Fatalf("groups written: %v, want [1 %d]", batches, others)
			}
			// The group held three users new to the store, five appends
			// each: every one is indexed, in seq order.
			for u := 0; u < 3; u++ {
				recs, err := s.Since(fmt.Sprint("u", u), s.Epoch(), 0)
				if err != nil {
					t.Fatal(err)
				}
				var seqs []uint64
				for _, r := range recs {
					seqs = append(seqs, r.Seq)
				}
				if fmt.Sprint(seqs) != "[1 2 3 4 5]" {
					t.Fatalf("u%d's history: seqs %v, want [1 2 3 4 5]", u, seqs)
				}
			}
		})
	}
}

func TestNewDatabaseHasNewEpoch(t *testing.T) {
	a, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ra, _ := a.Append("petr", frame, nil)
	rb, _ := b.Append("petr", frame, nil)
	if ra.Epoch == "" || ra.Epoch == rb.Epoch {
		t.Fatalf("epochs %q and %q: a lost history must get a new one", ra.Epoch, rb.Epoch)
	}
	// A user named like another's prefix does not see their records.
	a.Append("pe", frame, nil)
	if recs, _ := a.Since("pe", "", 0); len(recs) != 1 || recs[0].Seq != 1 {
		t.Fatalf("prefix user: %+v", recs)
	}
}

// crashHelperEnv makes the test binary a child that appends and dies
// without Close, as a gateway killed with kill -9 would.
const crashHelperEnv = "STORE_CRASH_HELPER_DIR"

func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashHelperEnv)
	if dir == "" {
		t.Skip("run by TestJournalSurvivesKill")
	}
	s, err := Open(dir, Options{Limit: 1000, ApplyEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if _, err := s.Append(fmt.Sprint("u", i%3), frame, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Killed as by the OOM killer or a power cut: no deferred code runs
	// (SIGKILL on Unix, TerminateProcess on Windows).
	self, _ := os.FindProcess(os.Getpid())
	self.Kill()
}

func TestJournalSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+dir)
	if err := cmd.Run(); err == nil {
		t.Fatal("the helper was not killed")
	}
	segs, _ := listSegments(dir)
	if len(segs) == 0 {
		t.Fatal("no journal left by the killed process")
	}
	// A torn record at the end, as a crash in the middle of a write leaves.
	last := segmentPath(dir, segs[len(segs)-1])
	f, _ := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(appendRecord(nil, kindAppend, "u0", 101, []byte("torn"))[:20])
	f.Close()
	// A segment written for a history that was since lost.
	stale := segmentPath(dir, segs[len(segs)-1]+1)
	other, _, _ := createSegmentFile(stale, "0000000000000000")
	other.Write(appendRecord(nil, kindAppend, "u0", 500, []byte("stale")))
	other.Close()

	s, err := Open(dir, Options{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for u := 0; u < 3; u++ {
		recs, err := s.Since(fmt.Sprint("u", u), "", 0)
		if err != nil || len(recs) != 100 {
			t.Fatalf("u%d after the kill: %d records, %v", u, len(recs), err)
		}
		for i, r := range recs {
			if r.Seq != uint64(i+1) {
				t.Fatalf("u%d record %d has seq %d", u, i, r.Seq)
			}
		}
	}
	r, _ := s.Append("u0", frame, nil)
	if r.Seq != 101 {
		t.Fatalf("next seq after recovery = %d, want 101", r.Seq)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the segment of a lost history is still there: %v", err)
	}
	if after, _ := listSegments(dir); len(after) != len(segs)+1 {
		t.Fatalf("recovery left segments %v, want the %d written and a new one", after, len(segs))
	}
}

func TestUsersListsEveryUserWithHistory(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"petr", "a", "a\x00b", "petr", "zoë"} {
		if _, err := s.Append(u, frame, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"a", "a\x00b", "petr", "zoë"}
	// From memory and journal before the apply, and from the database after.
	for round := 0; round < 2; round++ {
		users, err := s.Users()
		if err != nil || fmt.Sprint(users) != fmt.Sprint(want) {
			t.Fatalf("round %d: users = %q, %v; want %q", round, users, err, want)
		}
		epoch := s.Epoch()
		if epoch == "" {
			t.Fatal("no epoch")
		}
		s.Close()
		if s, err = Open(dir, Options{Limit: 3}); err != nil {
			t.Fatal(err)
		}
		if s.Epoch() != epoch {
			t.Fatalf("epoch after reopen %q, want %q", s.Epoch(), epoch)
		}
	}
	s.Close()
}

// A resume position beyond the user's last seq (a client ahead of this
// history, or 2^64-1, which wrapped to 0 and read everything) returns
// nothing; a foreign epoch still returns the retained history.
func TestSinceBeyondTheLastSeqReturnsNothing(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var epoch string
	for i := 0; i < 5; i++ {
		r, _ := s.Append("petr", frame, nil)
		epoch = r.Epoch
	}
	for _, seq := range []uint64{5, 6, 1 << 40, ^uint64(0) - 1, ^uint64(0)} {
		if recs, err := s.Since("petr", epoch, seq); err != nil || len(recs) != 0 {
			t.Errorf("since %d: %d records, %v; want none", seq, len(recs), err)
		}
	}
	if recs, _ := s.Since("petr", "other-epoch", ^uint64(0)); len(recs) != 5 {
		t.Errorf("foreign epoch: %d records, want the 5 retained", len(recs))
	}
	if recs, _ := s.Since("nobody", epoch, ^uint64(0)); len(recs) != 0 {
		t.Errorf("user without history: %d records", len(recs))
	}
	// The same after the records moved from memory into the database.
	s.Close()
	s, _ = Open(s.dir, Options{Limit: 10})
	defer s.Close()
	if recs, _ := s.Since("petr", epoch, ^uint64(0)); len(recs) != 0 {
		t.Errorf("from the database, since 2^64-1: %d records", len(recs))
	}
}

// A page holds at most the bytes asked for (at least one record), in
// order, and counts everything after the position.
func TestPageIsBoundedAndCountsTheRest(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := func(seq uint64, epoch string) ([]byte, error) { return make([]byte, 1000), nil }
	var epoch string
	for i := 0; i < 30; i++ {
		r, _ := s.Append("petr", big, nil)
		epoch = r.Epoch
	}
	check := func(from uint64, maxBytes, wantN, wantTotal int) {
		t.Helper()
		p, err := s.Page("petr", epoch, from, maxBytes)
		if err != nil || len(p.Records) != wantN || p.Total != wantTotal {
			t.Fatalf("page after %d of %d bytes: %d records of %d, %v; want %d of %d", from, maxBytes, len(p.Records), p.Total, err, wantN, wantTotal)
		}
		for i, r := range p.Records {
			if r.Seq != from+uint64(i)+1 {
				t.Fatalf("page after %d: record %d has seq %d", from, i, r.Seq)
			}
		}
	}
	check(0, 10_000, 10, 30)
	check(10, 10_500, 10, 20)
	check(20, 0, 10, 10) // no bound
	check(0, 1, 1, 30)   // always one
	s.Close()            // now from the database
	s, _ = Open(s.dir, Options{Limit: 100})
	defer s.Close()
	check(5, 3000, 3, 25)
}

// A FrameFunc or CommittedFunc that panics runs on the leader, an
// appender's goroutine: the store must not stay led by it, or every later
// append would wait forever.
func TestPanicInCallbackLeavesTheStoreWorking(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Append("petr", func(uint64, string) ([]byte, error) { panic("bad frame") }, nil); err == nil {
		t.Fatal("a frame that panicked was stored")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the delivery's panic was swallowed")
			}
		}()
		s.Append("petr", frame, func(Record) { panic("bad delivery") })
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if r, err := s.Append("petr", frame, nil); err != nil || r.Seq != 2 {
			t.Errorf("append after the panics: %+v %v, want seq 2", r, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // only ends a hang
		t.Fatal("the store is stuck after a panic")
	}
}

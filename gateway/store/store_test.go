package store

import (
	"fmt"
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

func TestConcurrentAppendsAreGroupCommittedInOrder(t *testing.T) {
	var mu sync.Mutex
	commits, maxBatch := 0, 0
	s, err := Open(t.TempDir(), Options{Limit: 10000, Fsync: true, OnCommit: func(n int, _ time.Duration) {
		mu.Lock()
		commits++
		maxBatch = max(maxBatch, n)
		mu.Unlock()
	}})
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
	if commits >= workers*each {
		t.Fatalf("%d commits for %d appends: no group commit", commits, workers*each)
	}
	t.Logf("%d appends in %d commits (largest batch %d)", workers*each, commits, maxBatch)
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

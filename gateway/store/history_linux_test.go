package store

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// readCalls is this process's read system calls so far (read, pread...).
func readCalls(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no I/O accounting: %v", err)
	}
	var n int64
	for _, line := range bytes.Split(b, []byte("\n")) {
		if _, err := fmt.Sscanf(string(line), "syscr: %d", &n); err == nil {
			return n
		}
	}
	t.Fatalf("no syscr in /proc/self/io: %s", b)
	return 0
}

// scatteredHistory stores rounds records for each of users, interleaved
// as a busy gateway writes them, over many small sealed segments.
func scatteredHistory(t testing.TB, users, rounds int, segmentSize int64) *Store {
	t.Helper()
	smallSegments(t, segmentSize)
	s, err := Open(t.TempDir(), Options{Limit: rounds, ApplyEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for r := 0; r < rounds; r++ {
		for u := 0; u < users; u++ {
			user := fmt.Sprint("u", u)
			frame := func(seq uint64, _ string) ([]byte, error) {
				return []byte(fmt.Sprintf(`{"type":"notification","seq":%d,"user":%q,"pad":"%0100d"}`, seq, user, 0)), nil
			}
			if _, err := s.Append(user, frame, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

// checkPage fails unless p is user's records 1..n, each with its own frame.
func checkPage(t *testing.T, user string, p Page, n int) {
	t.Helper()
	if len(p.Records) != n || p.Total != n {
		t.Fatalf("%s: %d records of %d, want %d", user, len(p.Records), p.Total, n)
	}
	for i, r := range p.Records {
		want := fmt.Sprintf(`{"type":"notification","seq":%d,"user":%q,`, i+1, user)
		if r.Seq != uint64(i+1) || !bytes.HasPrefix(r.Frame, []byte(want)) {
			t.Fatalf("%s: record %d is seq %d %q", user, i, r.Seq, r.Frame)
		}
	}
}

// A resume storm reads each user's records from among everyone else's: a
// page must not cost a system call per record (it did: one pread each,
// a third of the storm's CPU).
func TestPageOfScatteredRecordsIsNotASystemCallEach(t *testing.T) {
	const users, rounds = 40, 200
	s := scatteredHistory(t, users, rounds, 32<<10)
	s.idxMu.RLock()
	segs := len(s.segs)
	s.idxMu.RUnlock()
	if segs < 20 {
		t.Fatalf("%d segments: the test wants the records over many sealed ones", segs)
	}
	for _, user := range []string{"u0", "u7", "u39"} {
		before := readCalls(t)
		p, err := s.Page(user, "", 0, 0)
		calls := readCalls(t) - before
		if err != nil {
			t.Fatal(err)
		}
		checkPage(t, user, p, rounds)
		// The segment being written is still read by pread: a few records.
		if calls > 10 {
			t.Errorf("%s: %d read system calls for a page of %d records over %d segments", user, calls, rounds, segs)
		}
	}
}

// A sealed segment's file made shorter under the gateway (by hand: the
// store never truncates one) after it was mapped: reading a record now
// past its end is an error of that read, not a crash of the gateway, and
// every other read still works.
func TestTruncatedMappedSegmentIsAReadError(t *testing.T) {
	const users, rounds = 40, 200
	s := scatteredHistory(t, users, rounds, 32<<10)
	p, err := s.Page("u0", "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, "u0", p, rounds)
	s.idxMu.RLock()
	first := s.segs[s.users["u0"].at(0).seg]
	s.idxMu.RUnlock()
	if first.view(0) == nil {
		t.Fatal("the oldest segment is not mapped after a read")
	}
	if err := os.Truncate(first.path, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Page("u0", "", 0, 0); err == nil || !strings.Contains(err.Error(), "shorter than when it was sealed") {
		t.Fatalf("a page from a truncated segment: %v", err)
	}
	p, err = s.Page("u5", s.Epoch(), rounds/2, 0)
	if err != nil || len(p.Records) != rounds/2 || p.Records[0].Seq != rounds/2+1 {
		t.Fatalf("a page past the truncated segment: %d records, %v", len(p.Records), err)
	}
}

// BenchmarkPageScattered is the store's share of a resume storm: a page of
// a user's 200 records, which lie among 499 other users' (16 MiB sealed
// segments, as the gateway writes them).
func BenchmarkPageScattered(b *testing.B) {
	const users, rounds = 500, 200
	s := scatteredHistory(b, users, rounds, segmentMax)
	epoch := s.Epoch()
	calls := readCalls(b)
	i := 0
	for b.Loop() {
		p, err := s.Page(fmt.Sprint("u", i%users), epoch, 0, 0)
		if err != nil || len(p.Records) != rounds {
			b.Fatalf("%d records, %v", len(p.Records), err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rounds), "ns/record")
	b.ReportMetric(float64(readCalls(b)-calls)/float64(b.N*rounds), "reads/record")
}

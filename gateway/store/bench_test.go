package store

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend is the store's share of a dispatch: 32 concurrent
// appenders over 15,000 users with 200-byte frames, including the
// background work (Close's fsync inside the timing). It reports the
// notifications per group commit as well.
func BenchmarkAppend(b *testing.B) {
	for _, fsync := range []bool{false, true} {
		b.Run(fmt.Sprint("fsync=", fsync), func(b *testing.B) {
			const users = 15000
			body := make([]byte, 200)
			for i := range body {
				body[i] = 'x'
			}
			build := func(uint64, string) ([]byte, error) { return body, nil }
			var commits, appended atomic.Int64
			s, err := Open(b.TempDir(), Options{Fsync: fsync, OnCommit: func(n int, _ time.Duration) {
				commits.Add(1)
				appended.Add(int64(n))
			}})
			if err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			b.SetParallelism(32 / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Append(fmt.Sprint("user", next.Add(1)%users), build, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if c := commits.Load(); c > 0 {
				b.ReportMetric(float64(appended.Load())/float64(c), "appends/commit")
			}
		})
	}
}

// BenchmarkAppendSteady is BenchmarkAppend in the steady state of a full
// history: 2,000 users with a limit of 20, so each append evicts an older
// record and sealed segments die or are compacted; nine appends in ten go
// to 200 busy users, so the others' records stay live in old segments. The timing includes
// the reclaimer catching up (every dead segment deleted, none left under
// compactBelow). It reports the process's CPU per append and the copies
// compaction made per append.
func BenchmarkAppendSteady(b *testing.B) {
	const users = 2000
	// 1 MB segments, so that make bench's 50,000 appends seal a dozen.
	defer func(m int64) { segmentMax = m }(segmentMax)
	segmentMax = 1 << 20
	body := make([]byte, 200)
	build := func(uint64, string) ([]byte, error) { return body, nil }
	var copied atomic.Int64
	s, err := Open(b.TempDir(), Options{Limit: 20, OnApply: func(n int, _ error) { copied.Add(int64(n)) }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Int64
	b.SetParallelism(32 / runtime.GOMAXPROCS(0))
	cpu := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			u := i % users
			if i%10 != 0 {
				u = i % (users / 10)
			}
			if _, err := s.Append(fmt.Sprint("user", u), build, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	for due := true; due; {
		s.idxMu.RLock()
		due = false
		for _, g := range s.segs {
			if g != s.cur && (g.live == 0 || float64(g.liveBytes) < compactBelow*float64(g.dataBytes(s.epoch))) {
				due = true
			}
		}
		s.idxMu.RUnlock()
		if due {
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(copied.Load())/float64(b.N), "copies/op")
}

// BenchmarkOpen is the start of a gateway whose history is full: 15,000
// users with 200 records of 200-byte frames each (about 690 MB of
// journal), the index rebuilt by reading every segment (from the page
// cache, as after a restart; a cold cache adds the disk's read time). It
// reports the index's memory as well. Run it with -benchtime 1x: each op
// is a whole start.
func BenchmarkOpen(b *testing.B) {
	const users, limit = 15000, 200
	dir := b.TempDir()
	s, err := Open(dir, Options{Limit: limit})
	if err != nil {
		b.Fatal(err)
	}
	epoch, next := s.Epoch(), s.nextID
	s.Close()
	body := make([]byte, 200)
	var buf []byte
	var f *os.File
	for seq := uint64(1); seq <= limit; seq++ {
		for u := 0; u < users; u++ {
			if f == nil {
				if f, _, err = createSegmentFile(segmentPath(dir, next), epoch); err != nil {
					b.Fatal(err)
				}
				next++
			}
			buf = appendRecord(buf, kindAppend, fmt.Sprint("user", u), seq, body)
			if len(buf) >= int(segmentMax)-64<<10 {
				f.Write(buf)
				f.Close()
				f, buf = nil, buf[:0]
			}
		}
	}
	if f != nil {
		f.Write(buf)
		f.Close()
	}
	var before, after runtime.MemStats
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		s, err := Open(dir, Options{Limit: limit})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if recs, _ := s.Since("user7", "", 0); len(recs) != limit {
			b.Fatalf("%d records after open", len(recs))
		}
		s.Close()
		b.ReportMetric(took.Seconds(), "s/open")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/users, "index-B/user")
	}
}

// BenchmarkAppendPaced is the store's share of the paced phase's latency:
// one append every 500 µs (2,000/s) to 15,000 users, timing each Append
// (the journal's write(2), with the reclaimer's fsync of it every 250 ms
// behind). It reports the p99 and maximum in µs.
func BenchmarkAppendPaced(b *testing.B) {
	const users = 15000
	body := make([]byte, 200)
	build := func(uint64, string) ([]byte, error) { return body, nil }
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	took := make([]time.Duration, 0, b.N)
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		start := time.Now()
		if _, err := s.Append(fmt.Sprint("user", i%users), build, nil); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(took[len(took)-1].Microseconds()), "max-µs")
}

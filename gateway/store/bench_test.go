package store

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend is the store's share of a dispatch: 32 concurrent
// appenders over 15,000 users with 200-byte frames, including moving the
// journal into the database (Close applies the rest, inside the timing).
// It reports the notifications per group commit as well.
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

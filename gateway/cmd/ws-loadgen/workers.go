package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// each runs fn(i) for every i in [0, n) on workers goroutines, each taking
// the next i as it finishes one, and returns how long it all took. A worker
// stops at its first error; the first error of all is returned.
func each(n, workers int, fn func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := fn(i); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	err, _ := first.Load().(error)
	return time.Since(start), err
}

package main

import "time"

// pace calls start(i) for i in [0, n) at rate a second, each at its time
// on a fixed schedule (start + i/rate), and returns how long it took to
// start them all. start must not block for long (it hands the dispatch to
// a goroutine): one that falls behind (the generator descheduled) starts
// the ones that are due at once, so the phase keeps its rate and count.
//
// Not a time.Ticker: the runtime sleeps for timers in epoll_pwait, whose
// timeout is in milliseconds, so a process idle between ticks wakes no
// sooner than 1 ms and the ticker drops the ticks missed meanwhile: a
// 2,000/s ticker phase ran at 1,050-1,100/s on this machine.
func pace(n, rate int, start func(i int)) time.Duration {
	interval := time.Second / time.Duration(rate)
	t0 := time.Now()
	for i := range n {
		if d := time.Until(t0.Add(time.Duration(i) * interval)); d > 0 {
			sleepPrecisely(d)
		}
		start(i)
	}
	return time.Since(t0)
}

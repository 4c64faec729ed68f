package natstest

import (
	"sync"
	"testing"
	"time"
)

// Acked records what concurrent dispatchers were told was stored while a
// fault test kills something: each seq may be acknowledged once, and the
// test then checks that every one of them reaches the apps.
type Acked struct {
	mu      sync.Mutex
	seqs    map[uint64]bool
	longest time.Duration // the longest a dispatch waited (a leader election)
}

// Add records seq as acknowledged after waiting waited; a seq acknowledged
// twice is an error of t.
func (a *Acked) Add(t testing.TB, seq uint64, waited time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seqs == nil {
		a.seqs = map[uint64]bool{}
	}
	if a.seqs[seq] {
		t.Errorf("seq %d acknowledged twice", seq)
	}
	a.seqs[seq] = true
	a.longest = max(a.longest, waited)
}

// Count is how many seqs were acknowledged.
func (a *Acked) Count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seqs)
}

// Top is the highest acknowledged seq.
func (a *Acked) Top() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var top uint64
	for s := range a.seqs {
		top = max(top, s)
	}
	return top
}

// Longest is the longest a dispatch waited for its acknowledgement.
func (a *Acked) Longest() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.longest
}

// WaitCount waits until at least n seqs were acknowledged.
func (a *Acked) WaitCount(n int) {
	for a.Count() < n {
		time.Sleep(5 * time.Millisecond)
	}
}

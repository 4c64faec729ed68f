package cluster

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// stateSizes is how many users a node keeps an entry for, per map.
type stateSizes struct{ users, pubs, connView, cutoffs int }

func (n *Node) stateSizes() stateSizes {
	n.mu.Lock()
	defer n.mu.Unlock()
	return stateSizes{len(n.users), len(n.pubs), len(n.connView), len(n.cutoffs)}
}

// tunePrune makes the nodes opened after it prune every every, what is
// idle for idle, until the test ends.
func tunePrune(t *testing.T, every, idle time.Duration) {
	oldEvery, oldIdle := pruneEvery, pruneIdle
	pruneEvery, pruneIdle = every, idle
	t.Cleanup(func() { pruneEvery, pruneIdle = oldEvery, oldIdle })
}

// waitSizes waits until n keeps exactly want.
func waitSizes(t *testing.T, n *Node, want stateSizes) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := n.stateSizes()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s keeps %+v, want %+v", n.Name(), got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Many users come and go (connect on one node, a dispatch through another,
// an ack, disconnect): once idle, neither node keeps anything of theirs,
// whatever their number; a user still connected, and a revocation still
// able to refuse a token, are kept. Users who come back afterwards get
// the next seqs and their replay as before.
func TestPerUserStateIsPrunedWhenUsersLeave(t *testing.T) {
	tunePrune(t, 20*time.Millisecond, 100*time.Millisecond)
	nc := natstest.Start(t, 3)
	a := openNode(t, "gw-a", nc.URL(0), nil)
	b := openNode(t, "gw-b", nc.URL(1), nil)
	epoch := a.Epoch()

	stay := newSub(0)
	if _, _, err := attach(a, "stay", stay, &protocol.Resume{Epoch: epoch}); err != nil {
		t.Fatal(err)
	}
	const users = 150
	for i := range users {
		name := fmt.Sprintf("u%03d", i)
		s := newSub(0)
		at, _, err := attach(a, name, s, &protocol.Resume{Epoch: epoch})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Publish(name, noteWithID("x")); err != nil {
			t.Fatal(err)
		}
		s.waitSeqs(t, []uint64{1})
		if res, err := a.Ack(name, "x", protocol.ViaDesktop); err != nil || res.Seq != 2 {
			t.Fatalf("ack for %s: %+v %v", name, res, err)
		}
		s.waitSeqs(t, []uint64{1, 2})
		at.Detach()
	}
	if res, err := b.Publish("stay", note(1)); err != nil || res.Sent != 1 {
		t.Fatalf("dispatch to the user who stays: %+v %v", res, err)
	}
	stay.waitSeqs(t, []uint64{1})
	// One cutoff older than any valid token, one recent.
	if _, err := a.Revoke("long-ago", time.Now().Add(-protocol.TokenLifetime-2*time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Revoke("lately", time.Now().Unix()); err != nil {
		t.Fatal(err)
	}

	// a holds "stay"'s connection; both see it in the bucket, and the
	// recent revocation.
	waitSizes(t, a, stateSizes{users: 1, pubs: 1, connView: 1, cutoffs: 1})
	waitSizes(t, b, stateSizes{users: 0, pubs: 0, connView: 1, cutoffs: 1})
	if a.Cutoff("lately") == 0 || b.Cutoff("lately") == 0 {
		t.Fatal("the recent revocation was pruned")
	}

	// A pruned user comes back, on the other node: the next seq, and a
	// replay from its resume point.
	back := newSub(0)
	if _, _, err := attach(b, "u000", back, &protocol.Resume{Epoch: epoch, Seq: 1}); err != nil {
		t.Fatal(err)
	}
	back.waitSeqs(t, []uint64{2})
	if res, err := a.Publish("u000", noteWithID("y")); err != nil || res.Seq != 3 || res.Sent != 1 {
		t.Fatalf("dispatch after pruning: %+v %v", res, err)
	}
	back.waitSeqs(t, []uint64{2, 3})
	if res, err := a.Ack("u000", "y", protocol.ViaWeb); err != nil || res.Seq != 4 {
		t.Fatalf("ack after pruning: %+v %v", res, err)
	}
	back.waitSeqs(t, []uint64{2, 3, 4})
	if res, err := b.Publish("stay", note(2)); err != nil || res.Seq != 2 || res.Sent != 1 {
		t.Fatalf("dispatch to the user who stayed: %+v %v", res, err)
	}
	stay.waitSeqs(t, []uint64{1, 2})
}

// Pruning as often as possible (every millisecond, nothing kept idle)
// while users connect, resume, dispatch and ack on three nodes by turns:
// a connect or a write arriving as its user's state is dropped still
// gives every seq once, in order, with no gap, and each ack finds the
// alert dispatched on another node a moment before.
func TestPruningRacesWithConnectsAndWrites(t *testing.T) {
	tunePrune(t, time.Millisecond, 0)
	_, nodes := threeNodes(t)
	epoch := nodes[0].Epoch()
	const users, rounds = 4, 12
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("r%d", u)
			var last uint64
			for r := range rounds {
				on, via, ackOn := nodes[(u+r)%3], nodes[(u+r+1)%3], nodes[(u+r+2)%3]
				s := newSub(0)
				at, _, err := attach(on, name, s, &protocol.Resume{Epoch: epoch, Seq: last})
				if err != nil {
					t.Errorf("%s round %d: attach: %v", name, r, err)
					return
				}
				id := fmt.Sprintf("a%d", r)
				res, err := via.Publish(name, noteWithID(id))
				if err != nil || res.Seq != last+1 {
					t.Errorf("%s round %d: dispatch: %+v %v, want seq %d", name, r, res, err, last+1)
					return
				}
				ack, err := ackOn.Ack(name, id, protocol.ViaDesktop)
				if err != nil || ack.Seq != last+2 {
					t.Errorf("%s round %d: ack on %s: %+v %v, want seq %d", name, r, ackOn.Name(), ack, err, last+2)
					return
				}
				if err := s.awaitSeqs([]uint64{last + 1, last + 2}); err != nil {
					t.Errorf("%s round %d on %s: %v", name, r, on.Name(), err)
					return
				}
				at.Detach()
				last += 2
			}
		}()
	}
	wg.Wait()
}

// awaitSeqs is waitSeqs for a goroutine other than the test's.
func (s *sub) awaitSeqs(want []uint64) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		if err := s.pageErr(); err != nil {
			return fmt.Errorf("next page of the replay: %w", err)
		}
		got := s.got()
		if slices.Equal(got, want) {
			return nil
		}
		if len(got) > len(want) || !slices.Equal(got, want[:len(got)]) || time.Now().After(deadline) {
			return fmt.Errorf("delivered seqs = %v, want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

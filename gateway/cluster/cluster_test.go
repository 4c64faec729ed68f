package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// sub is a connection as the fan-out sees it, recording what it is given.
type sub struct {
	iat     int64
	mu      sync.Mutex
	seqs    []uint64
	epochs  []string
	revoked chan struct{}
	once    sync.Once
	// queued holds deliveries while a replay is written (attach): they go
	// behind its pages, as in the gateway's connection. direct: none is.
	queued [][]byte
	direct bool
	failed error // NextPage's
}

func newSub(iat int64) *sub { return &sub{iat: iat, revoked: make(chan struct{}), direct: true} }

func (s *sub) Deliver(frame []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.direct {
		s.queued = append(s.queued, frame)
		return true
	}
	s.recordLocked(frame)
	return true
}

func (s *sub) recordLocked(frame []byte) {
	var f protocol.NotificationFrame
	if err := json.Unmarshal(frame, &f); err != nil {
		panic(err)
	}
	s.seqs = append(s.seqs, f.Seq)
	s.epochs = append(s.epochs, f.Epoch)
}

// attach attaches s with resume as the gateway's connection does
// (hub.Attachment): it writes what Attach delivered, then each next page
// of the replay once it has written the last; deliveries meanwhile wait
// behind the pages.
func attach(n *Node, name string, s *sub, resume *protocol.Resume) (hub.Attachment, int, error) {
	s.mu.Lock()
	s.direct = false
	s.mu.Unlock()
	a, replayed, err := n.Attach(name, s, resume)
	if err != nil {
		return nil, 0, err
	}
	go func() {
		catchingUp := a.CatchingUp()
		for {
			s.mu.Lock()
			for _, f := range s.queued {
				s.recordLocked(f)
			}
			s.queued = nil
			if !catchingUp {
				s.direct = true
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			frames, live, err := a.NextPage()
			s.mu.Lock()
			if err != nil {
				s.failed = err
				s.mu.Unlock()
				return
			}
			for _, f := range frames {
				s.recordLocked(f)
			}
			s.mu.Unlock()
			catchingUp = !live
		}
	}()
	return a, replayed, nil
}

func (s *sub) IssuedAt() int64 { return s.iat }
func (s *sub) Revoke()         { s.once.Do(func() { close(s.revoked) }) }

func (s *sub) got() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seqs)
}

func (s *sub) pageErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// waitSeqs waits until s has seen want exactly (in that order).
func (s *sub) waitSeqs(t *testing.T, want []uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if err := s.pageErr(); err != nil {
			t.Fatalf("next page of the replay: %v", err)
		}
		got := s.got()
		if slices.Equal(got, want) {
			return
		}
		if len(got) > len(want) || !slices.Equal(got, want[:len(got)]) || time.Now().After(deadline) {
			t.Fatalf("delivered seqs = %v\nwant %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitContiguous waits until s has seen 1..at least top, in order, once.
func (s *sub) waitContiguous(t *testing.T, top uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if err := s.pageErr(); err != nil {
			t.Fatalf("next page of the replay: %v", err)
		}
		got := s.got()
		for i, seq := range got {
			if seq != uint64(i+1) {
				t.Fatalf("delivered seqs = %v: a gap, duplicate or disorder at %d", got, i)
			}
		}
		if uint64(len(got)) >= top {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d seqs, want at least %d", len(got), top)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// openNode opens a node connected to the given URL(s) and closes it when
// the test ends.
func openNode(t *testing.T, name, urls string, tune func(*Options)) *Node {
	t.Helper()
	o := Options{URLs: urls, Node: name, Replicas: 3, HistoryLimit: 200, MaxConnsPer: 5, OpTimeout: 5 * time.Second}
	if tune != nil {
		tune(&o)
	}
	n, err := Open(o)
	if err != nil {
		t.Fatalf("open node %s: %v", name, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// publishBy publishes, trying again while NATS refuses until deadline,
// when the test fails with what and the last error.
func publishBy(t *testing.T, deadline time.Time, n *Node, user string, note json.RawMessage, what string) protocol.DispatchResponse {
	t.Helper()
	for {
		res, err := n.Publish(user, note)
		if err == nil {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func note(i int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"id":"n%d","title":"t%d"}`, i, i))
}

// threeNodes is a three-server NATS cluster with one gateway node on each.
func threeNodes(t *testing.T) (*natstest.Cluster, []*Node) {
	t.Helper()
	nc := natstest.Start(t, 3)
	var nodes []*Node
	for i := range 3 {
		nodes = append(nodes, openNode(t, fmt.Sprintf("gw-%d", i), nc.URL(i), nil))
	}
	return nc, nodes
}

func TestSeqIsPerUserGapFreeAcrossNodes(t *testing.T) {
	_, nodes := threeNodes(t)
	if nodes[0].Epoch() == "" || nodes[0].Epoch() != nodes[1].Epoch() || nodes[1].Epoch() != nodes[2].Epoch() {
		t.Fatalf("epochs differ: %q %q %q", nodes[0].Epoch(), nodes[1].Epoch(), nodes[2].Epoch())
	}
	watchers := []*sub{newSub(0), newSub(0), newSub(0)}
	for i, n := range nodes {
		if _, _, err := n.Attach("ann", watchers[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	// Three nodes publish for the same user at once: every seq is given
	// out once, none is skipped.
	const each = 40
	var mu sync.Mutex
	var seqs []uint64
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				res, err := n.Publish("ann", note(i*1000+k))
				if err != nil {
					t.Errorf("node %d publish: %v", i, err)
					return
				}
				if !res.Stored {
					t.Errorf("stored = false")
				}
				mu.Lock()
				seqs = append(seqs, res.Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(seqs)
	if want := seqRange(1, 3*each); !slices.Equal(seqs, want) {
		t.Fatalf("acknowledged seqs = %v, want 1..%d once each", seqs, 3*each)
	}
	// Every node's connection gets all of them, in seq order, once.
	for _, w := range watchers {
		w.waitSeqs(t, seqRange(1, 3*each))
		for _, e := range w.epochs {
			if e != nodes[0].Epoch() {
				t.Fatalf("frame epoch %q, want %q", e, nodes[0].Epoch())
			}
		}
	}
	// Another user's seq starts at 1.
	res, err := nodes[2].Publish("bob", note(1))
	if err != nil || res.Seq != 1 {
		t.Fatalf("bob's first seq = %d, %v", res.Seq, err)
	}
}

func TestResumeOnAnotherNodeWhilePublishing(t *testing.T) {
	_, nodes := threeNodes(t)
	for i := range 10 {
		if _, err := nodes[0].Publish("cy", note(i)); err != nil {
			t.Fatal(err)
		}
	}
	// A resume on another node replays what followed it.
	s := newSub(0)
	a, replayed, err := attach(nodes[1], "cy", s, &protocol.Resume{Epoch: nodes[0].Epoch(), Seq: 4})
	if err != nil {
		t.Fatal(err)
	}
	if replayed != 6 {
		t.Fatalf("replayed = %d, want 6", replayed)
	}
	s.waitSeqs(t, seqRange(5, 10))
	a.Detach()

	// Attaches with resume while two nodes publish: each connection sees
	// every seq after its resume point, once, in order, up to the last.
	const total = 150
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total - 10 {
			if _, err := nodes[i%2].Publish("cy", note(i)); err != nil {
				t.Errorf("publish: %v", err)
				return
			}
		}
	}()
	// Four attaches spread over the publishing (the limit is five).
	var subs []*sub
	var from []uint64
	for k := range 4 {
		time.Sleep(time.Duration(20+k*15) * time.Millisecond)
		s := newSub(0)
		seen := uint64(3 * k)
		if _, _, err := attach(nodes[2-k%2], "cy", s, &protocol.Resume{Epoch: nodes[0].Epoch(), Seq: seen}); err != nil {
			t.Fatal(err)
		}
		subs, from = append(subs, s), append(from, seen)
	}
	<-done
	for i, s := range subs {
		s.waitSeqs(t, seqRange(from[i]+1, total))
	}
}

func TestRevokeClosesConnectionsOnEveryNode(t *testing.T) {
	_, nodes := threeNodes(t)
	old, fresh := newSub(100), newSub(300)
	if _, _, err := nodes[1].Attach("dee", old, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := nodes[2].Attach("dee", fresh, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	closed, err := nodes[0].Revoke("dee", 200)
	if err != nil || closed != 0 {
		t.Fatalf("revoke on a node without dee's connections: closed %d, %v", closed, err)
	}
	select {
	case <-old.revoked:
	case <-time.After(time.Second):
		t.Fatal("the connection on another node was not closed within 1 s")
	}
	t.Logf("closed on another node %v after the revoke", time.Since(start))
	select {
	case <-fresh.revoked:
		t.Fatal("a token issued after the cutoff was revoked")
	case <-time.After(100 * time.Millisecond):
	}
	for _, n := range nodes {
		deadline := time.Now().Add(time.Second)
		for n.Cutoff("dee") != 200 {
			if time.Now().After(deadline) {
				t.Fatalf("node %s cutoff = %d, want 200", n.Name(), n.Cutoff("dee"))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// A cutoff never moves back, on any node.
	if _, err := nodes[2].Revoke("dee", 150); err != nil {
		t.Fatal(err)
	}
	if c := nodes[1].Cutoff("dee"); c != 200 {
		t.Fatalf("cutoff after an older revoke = %d, want 200", c)
	}
	// A node that joins later knows the cutoff from the start.
	late := openNode(t, "gw-late", nodes[0].opts.URLs, nil)
	if c := late.Cutoff("dee"); c != 200 {
		t.Fatalf("a new node's cutoff = %d, want 200", c)
	}
}

func TestConnectionLimitHoldsAcrossNodes(t *testing.T) {
	_, nodes := threeNodes(t)
	var atts []hub.Attachment
	// Five connections spread over the three nodes, made at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	for k := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _, err := nodes[k%3].Attach("eve", newSub(0), nil)
			if err != nil {
				t.Errorf("connection %d: %v", k+1, err)
				return
			}
			mu.Lock()
			atts = append(atts, a)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, n := range nodes {
		if _, _, err := n.Attach("eve", newSub(0), nil); !errors.Is(err, hub.ErrTooManyConnections) {
			t.Fatalf("a sixth connection on node %d: err = %v, want ErrTooManyConnections", i, err)
		}
	}
	// "sent" comes from node 0's watched view of the connections.
	for deadline := time.Now().Add(5 * time.Second); nodes[0].clusterConns("eve") != 5 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	res, err := nodes[0].Publish("eve", note(1))
	if err != nil || res.Sent != 5 {
		t.Fatalf("dispatch to eve: sent %d, %v; want the 5 connections in the cluster", res.Sent, err)
	}
	atts[0].Detach()
	if _, _, err := nodes[2].Attach("eve", newSub(0), nil); err != nil {
		t.Fatalf("a connection after one left: %v", err)
	}
	// Six at once, from every node: exactly the places left are taken.
	for _, a := range atts[1:] {
		a.Detach()
	}
	var ok, refused int
	for k := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := nodes[k%3].Attach("fay", newSub(0), nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, hub.ErrTooManyConnections):
				refused++
			default:
				t.Errorf("attach: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 5 || refused != 1 {
		t.Fatalf("six concurrent connects: %d taken, %d refused; want 5 and 1", ok, refused)
	}
}

func TestKilledNodeFreesItsPlaces(t *testing.T) {
	defer func(old time.Duration) { nodeTTL = old }(nodeTTL)
	defer func(old time.Duration) { nodeBeat = old }(nodeBeat)
	nodeTTL, nodeBeat = 2*time.Second, 200*time.Millisecond
	nc := natstest.Start(t, 3)
	a := openNode(t, "gw-a", nc.URL(0), nil)
	b := openNode(t, "gw-b", nc.URL(1), nil)
	for range 5 {
		if _, _, err := a.Attach("gus", newSub(0), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := b.Attach("gus", newSub(0), nil); !errors.Is(err, hub.ErrTooManyConnections) {
		t.Fatalf("sixth: %v", err)
	}
	// As kill -9 would: the connection ends, nothing is cleaned up.
	a.closing.Do(func() { close(a.stop); a.nc.Close() })
	deadline := time.Now().Add(3 * nodeTTL)
	for {
		_, _, err := b.Attach("gus", newSub(0), nil)
		if err == nil {
			break
		}
		if !errors.Is(err, hub.ErrTooManyConnections) || time.Now().After(deadline) {
			t.Fatalf("after the node holding them died: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestNATSServerKilledMidStreamLosesNothing(t *testing.T) {
	nc := natstest.Start(t, 3)
	// Each node knows every server, as in production, so it moves on
	// when the one it uses dies.
	var nodes []*Node
	for i := range 3 {
		nodes = append(nodes, openNode(t, fmt.Sprintf("gw-%d", i), nc.URL(i)+","+nc.URLs(), nil))
	}
	watch := newSub(0)
	if _, _, err := nodes[2].Attach("hal", watch, nil); err != nil {
		t.Fatal(err)
	}
	var acked natstest.Acked
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				res, err := nodes[i].Publish("hal", note(k))
				if errors.Is(err, ErrUnavailable) {
					// An election longer than the 9 s a dispatch waits: not
					// acknowledged (503), the dispatcher sends it again.
					continue
				}
				if err != nil {
					t.Errorf("publish on node %d while a NATS server died: %v", i, err)
					return
				}
				acked.Add(t, res.Seq, time.Since(start))
			}
		}()
	}
	count := acked.Count
	acked.WaitCount(50)
	nc.Stop(0) // the server node 0 uses, maybe the stream's leader
	before := count()
	deadline := time.Now().Add(20 * time.Second)
	for count() < before+100 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if count() < before+100 {
		t.Fatalf("only %d dispatches after the server died", count()-before)
	}
	t.Logf("%d dispatches, %d after the server died; the longest waited %v", count(), count()-before, acked.Longest())
	// Every acknowledged seq, in order, once; no gap (a refused publish
	// that was stored as the election ended is delivered in its place).
	watch.waitContiguous(t, acked.Top())
	// And a resume from scratch on another node reads them all back.
	s := newSub(0)
	if _, _, err := attach(nodes[1], "hal", s, &protocol.Resume{}); err != nil {
		t.Fatal(err)
	}
	last := uint64(len(watch.got())) // all stored, acknowledged or not
	first := uint64(1)
	if last > 200 {
		first = last - 199 // the history keeps the last 200
	}
	s.waitSeqs(t, seqRange(first, last))
}

func TestWithoutNATSPublishFailsAndCatchesUp(t *testing.T) {
	nc := natstest.Start(t, 3)
	a := openNode(t, "gw-a", nc.URLs(), func(o *Options) { o.OpTimeout = time.Second })
	b := openNode(t, "gw-b", nc.URLs(), func(o *Options) { o.OpTimeout = time.Second })
	watch := newSub(0)
	if _, _, err := b.Attach("ivy", watch, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish("ivy", note(1)); err != nil {
		t.Fatal(err)
	}
	watch.waitSeqs(t, []uint64{1})
	nc.Shutdown()
	start := time.Now()
	_, err := a.Publish("ivy", note(2))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("publish without NATS: err = %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the refusal took %v", took)
	}
	for i := range 3 {
		nc.Restart(i)
	}
	nc.WaitReady()
	// Back: a dispatch is stored with the next seq and reaches the
	// connection that stayed attached to the other node.
	res := publishBy(t, time.Now().Add(20*time.Second), a, "ivy", note(3), "publish after NATS came back")
	if res.Seq != 2 {
		t.Fatalf("seq after the outage = %d, want 2 (the refused one was not stored)", res.Seq)
	}
	watch.waitSeqs(t, []uint64{1, 2})
}

// A node whose only NATS server dies while the others go on: it refuses
// dispatches, keeps its connection, and when the server is back the
// connection gets what the other nodes stored meanwhile, in order.
func TestNodeThatLostNATSCatchesUp(t *testing.T) {
	nc := natstest.Start(t, 3)
	fast := func(o *Options) { o.ReconnectGrace = 200 * time.Millisecond; o.WriteWait = 2 * time.Second }
	// Knows server 0 only: it does not learn the others from it.
	alone := openNode(t, "gw-alone", nc.URL(0), func(o *Options) {
		fast(o)
		o.NATS = []nats.Option{nats.IgnoreDiscoveredServers()}
	})
	other := openNode(t, "gw-other", nc.URL(1)+","+nc.URL(2), fast)
	s := newSub(0)
	if _, _, err := alone.Attach("ida", s, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Publish("ida", note(1)); err != nil {
		t.Fatal(err)
	}
	s.waitSeqs(t, []uint64{1})

	nc.Stop(0)
	if _, err := alone.Publish("ida", note(2)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("publish on the node without NATS: %v, want ErrUnavailable", err)
	}
	// The others go on (two of three servers are a quorum).
	deadline := time.Now().Add(20 * time.Second)
	for k := 2; k <= 6; k++ {
		if res := publishBy(t, deadline, other, "ida", note(k), "the other node cannot store"); res.Seq != uint64(k) {
			t.Fatalf("seq %d, want %d", res.Seq, k)
		}
	}
	if got := s.got(); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("the cut-off node delivered %v", got)
	}
	nc.Restart(0)
	s.waitSeqs(t, seqRange(1, 6))
	if res, err := alone.Publish("ida", note(7)); err != nil || res.Seq != 7 {
		t.Fatalf("publish after the server came back: %+v, %v", res, err)
	}
	s.waitSeqs(t, seqRange(1, 7))
}

// A user's dispatches coming through different nodes by turns need no
// retry: each node's reader keeps its belief of the user's last message
// current, so a publish is not refused for a message another node stored.
func TestDispatchesThroughAnyNodeNeedNoRetry(t *testing.T) {
	_, nodes := threeNodes(t)
	for k := 1; k <= 12; k++ {
		n := nodes[k%3]
		res, err := n.Publish("jo", note(k))
		if err != nil || res.Seq != uint64(k) {
			t.Fatalf("dispatch %d: %+v, %v", k, res, err)
		}
		// The next node has seen it before the next dispatch (as when
		// dispatches are a moment apart).
		next := nodes[(k+1)%3]
		for deadline := time.Now().Add(5 * time.Second); ; {
			_, seen, _ := next.pubState("jo").get()
			if seen == uint64(k) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s never saw seq %d", next.Name(), k)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for _, n := range nodes {
		if c := n.Conflicts(); c != 0 {
			t.Fatalf("node %s had %d refused publishes, want none", n.Name(), c)
		}
	}
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keboola/analyst-alerts/gateway/store"
)

// user holds one user's attachments on this node: a few at most.
type user struct {
	mu   sync.Mutex
	subs []*attachment
}

// startLive starts reading the stream from its end: every message stored
// from now on reaches onLive once, in stream order (so per user in seq
// order).
func (n *Node) startLive(ctx context.Context) error {
	var info *jetstream.StreamInfo
	err := n.retry(ctx, "read the history stream's end", func(ctx context.Context) error {
		var err error
		info, err = n.stream.Info(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("start the live reader on %s: %w", StreamName, err)
	}
	n.wg.Add(1)
	go n.readLive(info.State.LastSeq + 1)
	return nil
}

// readLive is the node's own ordered consumer: an ephemeral, unacknowledged
// consumer from the next stream sequence, recreated from there whenever it
// is lost (its server died, a heartbeat went missing, a message was
// skipped). nats.go's OrderedConsumer does the same, but backs off its
// re-creation to 10 s with 10 s timeouts: after a kill -9 of the stream's
// leader it stalled live deliveries for 10 s beyond the election. Here a
// creation gets 2 s and is retried every 200 ms.
func (n *Node) readLive(next uint64) {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		default:
		}
		next = n.readLiveFrom(next)
		select {
		case <-n.stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readLiveFrom reads from stream sequence next with one consumer until it
// fails, and returns where to go on.
func (n *Node) readLiveFrom(next uint64) uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	c, err := n.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       next,
		AckPolicy:         jetstream.AckNonePolicy,
		FilterSubject:     subjectPrefix + "*",
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: 30 * time.Second, // a consumer left behind by a dead node goes away
	})
	cancel()
	if err != nil {
		n.log.Debug("live reader: cannot create its consumer; retrying", "error", err)
		return next
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n.stream.DeleteConsumer(ctx, c.CachedInfo().Name)
		cancel()
	}()
	it, err := c.Messages(jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second),
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		return next
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-n.stop:
		case <-stopped:
		}
		it.Stop()
	}()
	var consumerSeq uint64
	for {
		m, err := it.Next()
		if err != nil {
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				n.log.Debug("live reader: consumer lost; recreating", "error", err, "next", next)
			}
			return next
		}
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		// A message lost between server and client shows as a jump in the
		// consumer's own sequence: start again from the first missed.
		if consumerSeq != 0 && meta.Sequence.Consumer != consumerSeq+1 {
			return next
		}
		consumerSeq = meta.Sequence.Consumer
		n.onLive(m, meta.Sequence.Stream)
		next = meta.Sequence.Stream + 1
	}
}

// onLive hands one stored message (at stream sequence streamSeq) to this
// node's connections of its user, and keeps the node's belief of the
// user's last message current for its next publish.
func (n *Node) onLive(m jetstream.Msg, streamSeq uint64) {
	name, seq, ok := parseRecord(m.Subject(), m.Headers())
	if !ok {
		n.log.Warn("skipping a message the gateway did not write", "subject", m.Subject())
		return
	}
	rec := store.Record{Seq: seq, Epoch: n.epoch, Frame: m.Data()}
	n.mu.Lock()
	// Learnt under n.mu, so an Attach registering at this moment either
	// is found below or finds this seq in the belief (its replay's floor).
	n.pubStateLocked(name).learn(seq, streamSeq)
	u := n.users[name]
	n.mu.Unlock()
	if u == nil {
		return
	}
	delivered := 0
	u.mu.Lock()
	for _, a := range u.subs {
		if !a.live {
			// Catching up: its replay reads this record from the stream,
			// and must read at least this far before it goes live.
			a.behind = max(a.behind, seq)
			continue
		}
		if seq <= a.last { // replayed already
			continue
		}
		a.last = seq
		if a.sub.Deliver(rec.Frame) {
			delivered++
		}
	}
	u.mu.Unlock()
	if n.opts.Hooks.Delivered != nil && delivered > 0 {
		n.opts.Hooks.Delivered(delivered)
	}
}

func parseRecord(subject string, h nats.Header) (string, uint64, bool) {
	key, ok := strings.CutPrefix(subject, subjectPrefix)
	if !ok {
		return "", 0, false
	}
	name, ok := userFromKey(key)
	if !ok {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(h.Get(headerSeq), 10, 64)
	if err != nil || seq == 0 {
		return "", 0, false
	}
	return name, seq, true
}

// Stats counts this node's live connections, in all and per user.
func (n *Node) Stats() (int, map[string]int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	total, per := 0, make(map[string]int, len(n.users))
	for name, u := range n.users {
		u.mu.Lock()
		k := len(u.subs)
		u.mu.Unlock()
		if k > 0 {
			per[name] = k
			total += k
		}
	}
	return total, per
}

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// user holds one user's attachments on this node: a few at most.
type user struct {
	mu   sync.Mutex
	subs []*attachment
}

// attachment is one connection attached on this node. While it is
// pending (its history being read), live records wait in buf.
type attachment struct {
	n       *Node
	name    string
	sub     hub.Subscriber
	connID  string
	last    uint64 // highest seq handed to sub; guarded by user.mu
	pending bool
	buf     []store.Record
	once    sync.Once
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
	if seq > n.seen[name] {
		n.seen[name] = seq
	}
	u := n.users[name]
	p := n.pubStateLocked(name)
	n.mu.Unlock()
	p.learn(seq, streamSeq)
	if u == nil {
		return
	}
	delivered := 0
	u.mu.Lock()
	for _, a := range u.subs {
		if a.pending {
			a.buf = append(a.buf, rec)
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

// Attach registers sub for name's notifications on this node once the
// cluster-wide connection limit allows it. With resume, the stored
// notifications after it come first, then the live ones, with no gap and
// no duplicate: the attachment is registered (buffering live records)
// before the history is read, and the read must reach at least the last
// seq this node's live consumer had handed out when it was registered.
func (n *Node) Attach(name string, sub hub.Subscriber, resume *protocol.Resume) (hub.Attachment, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	a := &attachment{n: n, name: name, sub: sub, connID: n.nextConnID(), pending: resume != nil}
	if err := n.reserve(ctx, name, a.connID); err != nil {
		return nil, 0, err
	}
	n.mu.Lock()
	u := n.users[name]
	if u == nil {
		u = &user{}
		n.users[name] = u
	}
	u.mu.Lock()
	seen := n.seen[name]
	u.subs = append(u.subs, a)
	u.mu.Unlock()
	n.mu.Unlock()
	if resume == nil {
		return a, 0, nil
	}

	recs, err := n.sinceReaching(ctx, name, *resume, seen)
	if err != nil {
		a.Detach()
		return nil, 0, err
	}
	u.mu.Lock()
	for _, r := range recs {
		sub.Deliver(r.Frame)
		a.last = r.Seq
	}
	replayed := len(recs)
	for _, r := range a.buf { // arrived live while the history was read
		if r.Seq > a.last {
			sub.Deliver(r.Frame)
			a.last = r.Seq
		}
	}
	a.pending, a.buf = false, nil
	u.mu.Unlock()
	if n.opts.Hooks.Replayed != nil && replayed > 0 {
		n.opts.Hooks.Replayed(replayed)
	}
	return a, replayed, nil
}

// Detach stops delivery to the attachment and frees its place in the
// user's connection limit.
func (a *attachment) Detach() {
	a.once.Do(func() {
		n := a.n
		n.mu.Lock()
		if u := n.users[a.name]; u != nil {
			u.mu.Lock()
			for i, x := range u.subs {
				if x == a {
					u.subs = append(u.subs[:i], u.subs[i+1:]...)
					break
				}
			}
			if len(u.subs) == 0 {
				delete(n.users, a.name)
			}
			u.mu.Unlock()
		}
		n.mu.Unlock()
		n.release(a.name, a.connID)
	})
}

// sinceReaching reads name's history after from, again while the copy
// that answered had not yet applied seq atLeast (replicas answer reads
// and one may be a moment behind the leader).
func (n *Node) sinceReaching(ctx context.Context, name string, from protocol.Resume, atLeast uint64) ([]store.Record, error) {
	for {
		recs, last, err := n.history(ctx, name)
		if err != nil {
			return nil, err
		}
		if last >= atLeast {
			return after(recs, from, n.epoch), nil
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: the history of %q stays behind seq %d", ErrUnavailable, name, atLeast)
		}
	}
}

// after keeps the records after from; a resume from another epoch (or
// none) gets the whole history, as with the embedded store.
func after(recs []store.Record, from protocol.Resume, epoch string) []store.Record {
	if from.Epoch != epoch {
		return recs
	}
	i := 0
	for i < len(recs) && recs[i].Seq <= from.Seq {
		i++
	}
	return recs[i:]
}

// Since reads name's history after from (see store.Store.Since).
func (n *Node) Since(name string, from protocol.Resume) ([]store.Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.OpTimeout)
	defer cancel()
	recs, _, err := n.history(ctx, name)
	if err != nil {
		return nil, err
	}
	return after(recs, from, n.epoch), nil
}

// directGet is JetStream's direct get request (nats-server's
// JSApiMsgGetRequest): the batch form reads up to Batch messages of one
// subject in one request, answered by any replica.
type directGet struct {
	NextFor string `json:"next_by_subj"`
	Batch   int    `json:"batch"`
}

// history reads name's whole retained history, oldest first, with its
// last seq (0 when empty).
func (n *Node) history(ctx context.Context, name string) ([]store.Record, uint64, error) {
	var recs []store.Record
	err := n.retry(ctx, "read the history of "+strconv.Quote(name), func(ctx context.Context) error {
		var err error
		recs, err = n.historyOnce(ctx, name)
		return err
	})
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: read the history of %q: %w", ErrUnavailable, name, err)
		}
		return nil, 0, err
	}
	var last uint64
	if len(recs) > 0 {
		last = recs[len(recs)-1].Seq
	}
	return recs, last, nil
}

func (n *Node) historyOnce(ctx context.Context, name string) ([]store.Record, error) {
	inbox := n.nc.NewRespInbox()
	sub, err := n.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	// The batch is the whole retained history; +1 so a limit lowered
	// since the records were written still reads them all.
	req, _ := json.Marshal(directGet{NextFor: subjectOf(name), Batch: n.opts.HistoryLimit + 1})
	if err := n.nc.PublishRequest("$JS.API.DIRECT.GET."+StreamName, inbox, req); err != nil {
		return nil, err
	}
	var recs []store.Record
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, err
		}
		switch status := m.Header.Get("Status"); status {
		case "":
		case "404": // no message for this user
			return nil, nil
		case "204": // end of batch
			return recs, nil
		case "503":
			return nil, nats.ErrNoResponders
		default:
			return nil, fmt.Errorf("direct get: %s %s", status, m.Header.Get("Description"))
		}
		_, seq, ok := parseRecord(m.Header.Get(jetstream.SubjectHeader), m.Header)
		if !ok {
			return nil, errors.New("direct get: a message without the gateway's headers")
		}
		recs = append(recs, store.Record{Seq: seq, Epoch: n.epoch, Frame: m.Data})
		if len(recs) > n.opts.HistoryLimit+1 {
			return nil, errors.New("direct get: more messages than asked for")
		}
	}
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

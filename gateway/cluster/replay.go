package cluster

// The replay of a resuming connection, a page at a time, with the same
// contract as hub.Local's (hub.Attachment): the first page is delivered by
// Attach, each next one is read when the connection has written the last,
// and the page that reaches the newest record switches the connection to
// live delivery with no gap and no duplicate.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// attachment is one connection attached on this node.
type attachment struct {
	n      *Node
	name   string
	u      *user
	sub    hub.Subscriber
	connID string
	once   sync.Once

	// Guarded by u.mu:
	last uint64 // highest seq handed to sub, or read and skipped as the client's
	live bool   // live records reach sub; false while it catches up
	// behind is the highest seq the node's live reader had handed out
	// (when the attachment was registered, and while it caught up): the
	// replay must read at least that far before it switches to live, since
	// those records will not come live again.
	behind uint64
	resume protocol.Resume // the client's position: records up to it are not replayed
	next   uint64          // the stream sequence the next page starts at
}

// Attach registers sub for name's notifications on this node once the
// cluster-wide connection limit allows it. With resume, the stored
// notifications after it come first, a page at a time (NextPage), then the
// live ones, with no gap and no duplicate: the attachment is registered
// before the history is read, the live reader notes what it skips while
// the attachment catches up, and the switch waits for the replay to have
// read that far (a replica answering the read may be a moment behind). It
// returns how many stored notifications the replay holds.
func (n *Node) Attach(name string, sub hub.Subscriber, resume *protocol.Resume) (hub.Attachment, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	a := &attachment{n: n, name: name, sub: sub, connID: n.nextConnID(), live: resume == nil}
	if resume != nil {
		a.resume = *resume
	}
	if err := n.reserve(ctx, name, a.connID); err != nil {
		return nil, 0, err
	}
	n.mu.Lock()
	u := n.users[name]
	if u == nil {
		u = &user{}
		n.users[name] = u
	}
	a.u = u
	u.mu.Lock()
	u.subs = append(u.subs, a)
	u.mu.Unlock()
	// The replay's floor: every seq the live reader handed out before the
	// registration is in the belief, when the node has one (pubSeq);
	// later ones raise behind in onLive.
	var floorKnown bool
	var floor uint64
	if p := n.pubs[name]; p != nil {
		floorKnown, floor, _ = p.get()
	}
	n.mu.Unlock()
	if resume == nil {
		return a, 0, nil
	}
	if !floorKnown {
		// None (a user not seen lately, its state pruned, or a node just
		// started): the stream's leader has everything handed out.
		p := n.pubState(name)
		if err := n.readLast(ctx, subjectOf(name), p); err != nil {
			a.Detach()
			return nil, 0, err
		}
		_, floor, _ = p.get()
	}
	u.mu.Lock()
	a.behind = max(a.behind, floor)
	u.mu.Unlock()
	frames, rest, err := a.page(ctx, true)
	if err != nil {
		a.Detach()
		return nil, 0, err
	}
	if n.opts.Hooks.Replayed != nil && len(frames) > 0 {
		n.opts.Hooks.Replayed(len(frames))
	}
	return a, len(frames) + rest, nil
}

// CatchingUp implements hub.Attachment.
func (a *attachment) CatchingUp() bool {
	a.u.mu.Lock()
	defer a.u.mu.Unlock()
	return !a.live
}

// NextPage implements hub.Attachment: the next page of the replay, read
// from the stream now that the last one was written.
func (a *attachment) NextPage() ([][]byte, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), a.n.opts.WriteWait)
	defer cancel()
	if !a.CatchingUp() {
		return nil, true, nil
	}
	frames, _, err := a.page(ctx, false)
	if err != nil {
		return nil, false, err
	}
	if a.n.opts.Hooks.Replayed != nil && len(frames) > 0 {
		a.n.opts.Hooks.Replayed(len(frames))
	}
	return frames, !a.CatchingUp(), nil
}

// page reads the next page of the replay: frames the client has not had
// (at least one), or none when the replay went live with this read. The
// read itself holds no lock (the live reader goes on meanwhile); the
// position and the switch to live are settled under u.mu. With deliver
// (Attach's first page) the frames are delivered to sub under u.mu, so no
// live record can come before them; else the caller writes them before
// anything delivered later (hub.Attachment). rest counts the stored
// records after the page.
func (a *attachment) page(ctx context.Context, deliver bool) (frames [][]byte, rest int, err error) {
	for {
		a.u.mu.Lock()
		next := a.next
		a.u.mu.Unlock()
		p, err := a.n.readPage(ctx, a.name, next, hub.ReplayPageBytes)
		if err != nil {
			return nil, 0, err
		}
		a.u.mu.Lock()
		for _, r := range p.recs {
			// Same epoch: the client has up to its seq (a seq beyond the
			// last, even 2^64-1, replays nothing). Another epoch (or none)
			// gets the whole retained history.
			if a.resume.Epoch != a.n.epoch || r.Seq > a.resume.Seq {
				frames = append(frames, r.Frame)
				if deliver {
					a.sub.Deliver(r.Frame)
				}
			}
			// Read, so not to be delivered live again: replayed, or the
			// client's already.
			a.last = max(a.last, r.Seq)
			a.next = r.streamSeq + 1
		}
		if p.rest == 0 && a.last >= a.behind {
			a.live = true
		}
		live := a.live
		a.u.mu.Unlock()
		if live || len(frames) > 0 {
			return frames, p.rest, nil
		}
		if p.rest == 0 {
			// The replica that answered has not yet stored what the
			// live reader handed out: read again in a moment.
			select {
			case <-time.After(5 * time.Millisecond):
			case <-ctx.Done():
				return nil, 0, fmt.Errorf("%w: the history of %q stays behind seq %d", ErrUnavailable, a.name, a.behind)
			}
		}
	}
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

// Since reads name's whole retained history after from, a page at a time
// (ws-gateway migrate's check and the tests; connections use Attach).
func (n *Node) Since(name string, from protocol.Resume) ([]store.Record, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	recs, err := n.readAll(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []store.Record
	for _, r := range recs {
		if from.Epoch != n.epoch || r.Seq > from.Seq {
			out = append(out, r.Record)
		}
	}
	return out, nil
}

// pageRec is a stored record with its place in the stream.
type pageRec struct {
	store.Record
	streamSeq uint64
}

// historyPage is one read of a user's history.
type historyPage struct {
	recs []pageRec
	rest int // the user's records after the page, on the replica that answered
}

// directGet is JetStream's direct get request (nats-server's
// JSApiMsgGetRequest): the batch form reads the messages of one subject
// from stream sequence Seq on, up to Batch of them and up to MaxBytes
// (always one at least), in one request answered by any replica. The end
// of the batch says how many more there are.
type directGet struct {
	Seq      uint64 `json:"seq,omitempty"`
	NextFor  string `json:"next_by_subj"`
	Batch    int    `json:"batch"`
	MaxBytes int    `json:"max_bytes,omitempty"`
}

// readPage reads about maxBytes of name's history from stream sequence
// from on, oldest first.
func (n *Node) readPage(ctx context.Context, name string, from uint64, maxBytes int) (historyPage, error) {
	var p historyPage
	err := n.retry(ctx, "read the history of "+strconv.Quote(name), func(ctx context.Context) error {
		var err error
		p, err = n.readPageOnce(ctx, name, from, maxBytes)
		return err
	})
	if err != nil && !errors.Is(err, ErrUnavailable) {
		err = fmt.Errorf("%w: read the history of %q: %w", ErrUnavailable, name, err)
	}
	return p, err
}

func (n *Node) readPageOnce(ctx context.Context, name string, from uint64, maxBytes int) (historyPage, error) {
	inbox := n.nc.NewRespInbox()
	// A channel just big enough for the batch: SubscribeSync's default
	// (64 Ki messages) costs 512 KiB for each page read.
	msgs := make(chan *nats.Msg, n.opts.HistoryLimit+2)
	sub, err := n.nc.ChanSubscribe(inbox, msgs)
	if err != nil {
		return historyPage{}, err
	}
	defer sub.Unsubscribe()
	// The batch's count is the whole retained history; +1 so a limit
	// lowered since the records were written still reads them all. The
	// bytes bound the page.
	req, _ := json.Marshal(directGet{Seq: from, NextFor: subjectOf(name), Batch: n.opts.HistoryLimit + 1, MaxBytes: maxBytes})
	if err := n.nc.PublishRequest("$JS.API.DIRECT.GET."+StreamName, inbox, req); err != nil {
		return historyPage{}, err
	}
	var p historyPage
	for {
		var m *nats.Msg
		select {
		case m = <-msgs:
		case <-ctx.Done():
			return historyPage{}, ctx.Err()
		}
		switch status := m.Header.Get("Status"); status {
		case "":
		case "404": // nothing for this user from there on
			return historyPage{}, nil
		case "204": // end of the batch
			rest, err := strconv.Atoi(m.Header.Get("Nats-Num-Pending"))
			if err != nil {
				return historyPage{}, fmt.Errorf("direct get: end of batch without a valid Nats-Num-Pending: %w", err)
			}
			p.rest = rest
			return p, nil
		case "503":
			return historyPage{}, nats.ErrNoResponders
		default:
			return historyPage{}, fmt.Errorf("direct get: %s %s", status, m.Header.Get("Description"))
		}
		_, seq, ok := parseRecord(m.Header.Get(jetstream.SubjectHeader), m.Header)
		if !ok {
			return historyPage{}, errors.New("direct get: a message without the gateway's headers")
		}
		streamSeq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return historyPage{}, errors.New("direct get: a message without its stream sequence")
		}
		p.recs = append(p.recs, pageRec{Record: store.Record{Seq: seq, Epoch: n.epoch, Frame: m.Data}, streamSeq: streamSeq})
		if len(p.recs) > n.opts.HistoryLimit+1 {
			return historyPage{}, errors.New("direct get: more messages than asked for")
		}
	}
}

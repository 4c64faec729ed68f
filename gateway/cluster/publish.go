package cluster

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
	"github.com/nats-io/nuid"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// pubSeq is what this node believes is the user's last stored message:
// its seq and its stream sequence, the condition the next publish puts on
// the subject. The node's own publishes and its live reader (which sees
// every node's) keep it current, so a user's dispatches may come through
// any node without a retry; a wrong belief (a message the reader has not
// seen yet) costs a refused publish and a re-read, never a reused or
// skipped seq.
//
// While known, seq is at least every seq the node's live reader has handed
// out for the user (the reader learns under Node.mu, and a belief is only
// ever read from the stream's leader, which has everything the reader
// saw): a resuming connection's replay must read that far (Attach).
//
// A user's pubSeq is dropped (prune) once nothing on this node uses it;
// the next use starts from the leader again.
type pubSeq struct {
	lock chan struct{} // one publish per user at a time on this node

	mu        sync.Mutex // guards the belief: the reader updates it too
	known     bool
	seq       uint64
	streamSeq uint64

	// Guarded by Node.mu: writes holding or waiting for lock, and the
	// last use; prune drops only an unused, idle one.
	refs int
	used time.Time
}

func (p *pubSeq) get() (known bool, seq, streamSeq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.known, p.seq, p.streamSeq
}

// learn records a stored message of the user, unless a later one is known.
func (p *pubSeq) learn(seq, streamSeq uint64) {
	p.mu.Lock()
	if !p.known || streamSeq > p.streamSeq {
		p.known, p.seq, p.streamSeq = true, seq, streamSeq
	}
	p.mu.Unlock()
}

// forget drops the belief: the next publish reads the subject's last message.
func (p *pubSeq) forget() {
	p.mu.Lock()
	p.known = false
	p.mu.Unlock()
}

func (n *Node) pubState(user string) *pubSeq {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pubStateLocked(user)
}

func (n *Node) pubStateLocked(user string) *pubSeq {
	p := n.pubs[user]
	if p == nil {
		p = &pubSeq{lock: make(chan struct{}, 1)}
		n.pubs[user] = p
	}
	p.used = time.Now()
	return p
}

// lockUser takes this node's write turn for user (one write per user at a
// time, publishes and acks alike: they would only refuse each other's
// expected last sequence), waiting no longer than ctx. unlock gives it back.
// The reference taken here keeps prune from dropping the user's state
// (and with it the lock) while a write holds or waits for it.
func (n *Node) lockUser(ctx context.Context, user string) (p *pubSeq, unlock func(), err error) {
	n.mu.Lock()
	p = n.pubStateLocked(user)
	p.refs++
	n.mu.Unlock()
	done := func() {
		n.mu.Lock()
		p.refs--
		p.used = time.Now()
		n.mu.Unlock()
	}
	select {
	case p.lock <- struct{}{}:
		return p, func() { <-p.lock; done() }, nil
	case <-ctx.Done():
		done()
		return nil, nil, fmt.Errorf("%w: publish queue for %q: %w", ErrUnavailable, user, ctx.Err())
	}
}

// Publish stores the notification as user's next seq and returns once
// JetStream acknowledged it (on a quorum of replicas). Delivery to the
// live connections, on this node and the others, follows from the stream.
// Sent is the user's connections in the cluster at that moment: those it
// is being delivered to.
func (n *Node) Publish(user string, notification json.RawMessage) (protocol.DispatchResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	p, unlock, err := n.lockUser(ctx, user)
	if err != nil {
		return protocol.DispatchResponse{}, err
	}
	defer unlock()

	subject := subjectOf(user)
	// One message id for every attempt of this dispatch: if an attempt
	// was stored but its ack was lost, the retry is recognised as a
	// duplicate instead of being stored twice.
	msgID := nuid.Next()
	now := time.Now()
	var frame []byte
	var seq uint64
	for {
		known, last, lastStream := p.get()
		if !known {
			if err := n.readLast(ctx, subject, p); err != nil {
				return protocol.DispatchResponse{}, err
			}
			continue
		}
		if frame == nil || seq != last+1 {
			seq = last + 1
			var err error
			if frame, err = protocol.NotificationFrameBytes(notification, seq, n.epoch, now); err != nil {
				return protocol.DispatchResponse{}, err
			}
		}
		msg := &nats.Msg{Subject: subject, Data: frame, Header: nats.Header{headerSeq: []string{strconv.FormatUint(seq, 10)}}}
		var ack *jetstream.PubAck
		err := n.retry(ctx, "store for "+strconv.Quote(user), func(ctx context.Context) error {
			var err error
			ack, err = n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID),
				jetstream.WithExpectStream(StreamName),
				jetstream.WithExpectLastSequencePerSubject(lastStream))
			return err
		})
		if err == nil {
			p.learn(seq, ack.Sequence)
			return protocol.DispatchResponse{Sent: n.clusterConns(user), Stored: true, Seq: seq}, nil
		}
		if isWrongLastSeq(err) {
			// Another node stored one this node has not seen yet: read the
			// subject's last message and go again.
			n.conflicts.Add(1)
			p.forget()
			continue
		}
		p.forget() // the attempt may be stored after all
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: store for %q: %w", ErrUnavailable, user, err)
		}
		return protocol.DispatchResponse{}, err
	}
}

// readLast learns the user's last stored message from the stream's
// leader. Not a direct get: a replica may be a moment behind, and the
// belief must cover every record the live reader has handed out (pubSeq).
func (n *Node) readLast(ctx context.Context, subject string, p *pubSeq) error {
	var seq, streamSeq uint64
	var found bool
	err := n.retry(ctx, "read the last seq of "+subject, func(ctx context.Context) error {
		var err error
		seq, streamSeq, found, err = n.leaderLast(ctx, subject)
		return err
	})
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: read the last seq of %s: %w", ErrUnavailable, subject, err)
		}
		return err
	}
	if !found {
		p.learn(0, 0)
		return nil
	}
	p.learn(seq, streamSeq)
	return nil
}

// msgGetResponse is JetStream's answer to $JS.API.STREAM.MSG.GET (the
// leader's, unlike a direct get): the message, or an API error.
type msgGetResponse struct {
	Message *struct {
		Seq    uint64 `json:"seq"`
		Header []byte `json:"hdrs"`
	} `json:"message"`
	Error *jetstream.APIError `json:"error"`
}

// leaderLast is the seq and stream sequence of the last message on
// subject, as the stream's leader has it; found is false when there is
// none.
func (n *Node) leaderLast(ctx context.Context, subject string) (seq, streamSeq uint64, found bool, err error) {
	req, err := json.Marshal(map[string]string{"last_by_subj": subject})
	if err != nil {
		return 0, 0, false, err
	}
	m, err := n.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+StreamName, req)
	if err != nil {
		return 0, 0, false, err
	}
	var resp msgGetResponse
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return 0, 0, false, fmt.Errorf("read the last message on %s: %w", subject, err)
	}
	if resp.Error != nil {
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return 0, 0, false, nil
		}
		return 0, 0, false, resp.Error
	}
	if resp.Message == nil {
		return 0, 0, false, fmt.Errorf("read the last message on %s: an answer without a message", subject)
	}
	h, err := nats.DecodeHeadersMsg(resp.Message.Header)
	if err != nil {
		return 0, 0, false, fmt.Errorf("the last message on %s: %w", subject, err)
	}
	seq, err = strconv.ParseUint(h.Get(headerSeq), 10, 64)
	if err != nil {
		return 0, 0, false, fmt.Errorf("the last message on %s has no valid %s header", subject, headerSeq)
	}
	return seq, resp.Message.Seq, true, nil
}

// Conflicts counts publishes refused because another node had stored a
// message this node had not seen yet (each cost a read and a retry).
func (n *Node) Conflicts() uint64 { return n.conflicts.Load() }

// isWrongLastSeq is JetStream refusing a publish whose expected last
// subject sequence is not the subject's (10164 on replicated streams).
func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// retriable errors are NATS between leaders or between connections.
func retriable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503 || apiErr.Code == 500
	}
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, nats.ErrNoServers)
}

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// pubSeq is what this node believes is the user's last stored message:
// its seq and its stream sequence, the condition the next publish puts on
// the subject. A wrong belief (another node published meanwhile) costs a
// refused publish and a re-read, never a reused or skipped seq.
type pubSeq struct {
	lock      chan struct{} // one publish per user at a time on this node
	known     bool
	seq       uint64
	streamSeq uint64
}

func (n *Node) pubState(user string) *pubSeq {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.pubs[user]
	if p == nil {
		p = &pubSeq{lock: make(chan struct{}, 1)}
		n.pubs[user] = p
	}
	return p
}

// Publish stores the notification as user's next seq and returns once
// JetStream acknowledged it (on a quorum of replicas). Delivery to the
// live connections, on this node and the others, follows from the stream.
// Sent is the user's connections in the cluster at that moment: those it
// is being delivered to.
func (n *Node) Publish(user string, notification json.RawMessage) (protocol.DispatchResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	p := n.pubState(user)
	select {
	case p.lock <- struct{}{}:
	case <-ctx.Done():
		return protocol.DispatchResponse{}, fmt.Errorf("%w: publish queue for %q: %w", ErrUnavailable, user, ctx.Err())
	}
	defer func() { <-p.lock }()

	subject := subjectOf(user)
	// One message id for every attempt of this dispatch: if an attempt
	// was stored but its ack was lost, the retry is recognised as a
	// duplicate instead of being stored twice.
	msgID := nuid.Next()
	now := time.Now()
	var frame []byte
	var seq uint64
	for {
		if !p.known {
			if err := n.readLast(ctx, subject, p); err != nil {
				return protocol.DispatchResponse{}, err
			}
		}
		if frame == nil || seq != p.seq+1 {
			seq = p.seq + 1
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
				jetstream.WithExpectLastSequencePerSubject(p.streamSeq))
			return err
		})
		if err == nil {
			p.seq, p.streamSeq = seq, ack.Sequence
			return protocol.DispatchResponse{Sent: n.clusterConns(user), Stored: true, Seq: seq}, nil
		}
		if isWrongLastSeq(err) {
			// Another node stored one first: learn its seq and go again.
			p.known = false
			continue
		}
		p.known = false // the attempt may be stored after all
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: store for %q: %w", ErrUnavailable, user, err)
		}
		return protocol.DispatchResponse{}, err
	}
}

// readLast learns the user's last stored message from the stream.
func (n *Node) readLast(ctx context.Context, subject string, p *pubSeq) error {
	var m *jetstream.RawStreamMsg
	err := n.retry(ctx, "read the last seq of "+subject, func(ctx context.Context) error {
		var err error
		m, err = n.stream.GetLastMsgForSubject(ctx, subject)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			m, err = nil, nil
		}
		return err
	})
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: read the last seq of %s: %w", ErrUnavailable, subject, err)
		}
		return err
	}
	if m == nil {
		p.known, p.seq, p.streamSeq = true, 0, 0
		return nil
	}
	seq, perr := strconv.ParseUint(m.Header.Get(headerSeq), 10, 64)
	if perr != nil {
		return fmt.Errorf("the last message on %s has no valid %s header", subject, headerSeq)
	}
	p.known, p.seq, p.streamSeq = true, seq, m.Sequence
	return nil
}

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

package cluster

// Acknowledgements in cluster mode (issue 14), with hub.Local's contract:
// an ack is an event in the user's history under its own seq, stored once
// however many devices and nodes acknowledge at the same moment, and
// delivered like a notification (every node's live reader hands it to its
// connections of the user; a resume replays it). The one-ack rule holds
// across nodes by the same compare-and-set publishes use: the ack is
// stored only if the user's subject still ends with the message the check
// read, so an ack (or a notification) another node stored in between
// makes this one read the history again and decide afresh.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// Ack implements server.Fanout: the first acknowledgement of user's
// notification id is stored as an acked event under the next seq; a later
// one, on any node, answers Acked false. protocol.ErrNotInHistory when the
// history holds no notification with that id.
func (n *Node) Ack(user, id, via string) (protocol.AckResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	p, unlock, err := n.lockUser(ctx, user)
	if err != nil {
		return protocol.AckResponse{}, err
	}
	defer unlock()

	subject := subjectOf(user)
	msgID := nuid.Next() // a retried attempt that was stored is a duplicate, not a second event
	for {
		recs, err := n.history(ctx, user, p)
		if err != nil {
			return protocol.AckResponse{}, err
		}
		st, err := hub.StateOf(records(recs), id)
		if err != nil {
			return protocol.AckResponse{}, err
		}
		if st.Acked() {
			return protocol.AckResponse{Acked: false}, nil
		}
		last := recs[len(recs)-1] // StateOf found the notification: recs is not empty
		seq := last.Seq + 1
		frame, err := protocol.AckedFrameBytes(id, via, seq, n.epoch, time.Now())
		if err != nil {
			return protocol.AckResponse{}, err
		}
		msg := &nats.Msg{Subject: subject, Data: frame, Header: nats.Header{headerSeq: []string{strconv.FormatUint(seq, 10)}}}
		var ack *jetstream.PubAck
		err = n.retry(ctx, "store the acknowledgement for "+strconv.Quote(user), func(ctx context.Context) error {
			var err error
			ack, err = n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID),
				jetstream.WithExpectStream(StreamName),
				jetstream.WithExpectLastSequencePerSubject(last.streamSeq))
			return err
		})
		if err == nil {
			p.learn(seq, ack.Sequence)
			return protocol.AckResponse{Acked: true, Seq: seq}, nil
		}
		if isWrongLastSeq(err) {
			// Another node stored something for the user since the read
			// (perhaps this very ack): check again.
			n.conflicts.Add(1)
			p.forget()
			continue
		}
		p.forget()
		return protocol.AckResponse{}, unavailable(err, "store the acknowledgement for "+strconv.Quote(user))
	}
}

// Notification implements server.Fanout from the stored history.
func (n *Node) Notification(user, id string) (protocol.NotificationState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	recs, err := n.history(ctx, user, n.pubState(user))
	if err != nil {
		return protocol.NotificationState{}, err
	}
	return hub.StateOf(records(recs), id)
}

// Recent implements server.Fanout from the stored history.
func (n *Node) Recent(user string, limit int) (protocol.RecentResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	recs, err := n.history(ctx, user, n.pubState(user))
	if err != nil {
		return protocol.RecentResponse{}, err
	}
	return hub.RecentOf(records(recs), limit), nil
}

// history reads user's whole retained history, oldest first, at least as
// far as this node knows it goes (p: its own writes and what its live
// reader handed out): a read is answered by any replica, and one a moment
// behind would not show an alert this node just stored, so it is read
// again.
func (n *Node) history(ctx context.Context, user string, p *pubSeq) ([]pageRec, error) {
	if known, _, _ := p.get(); !known {
		// No belief (pruned, or not seen since the start): the leader's
		// last message is the floor.
		if err := n.readLast(ctx, subjectOf(user), p); err != nil {
			return nil, err
		}
	}
	for {
		recs, err := n.readAll(ctx, user)
		if err != nil {
			return nil, err
		}
		known, _, want := p.get()
		var got uint64
		if len(recs) > 0 {
			got = recs[len(recs)-1].streamSeq
		}
		if !known || got >= want {
			return recs, nil
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: the history of %q stays behind stream sequence %d", ErrUnavailable, user, want)
		}
	}
}

// readAll reads user's whole retained history, a page at a time.
func (n *Node) readAll(ctx context.Context, user string) ([]pageRec, error) {
	var out []pageRec
	var next uint64
	for {
		p, err := n.readPage(ctx, user, next, hub.ReplayPageBytes)
		if err != nil {
			return nil, err
		}
		out = append(out, p.recs...)
		if len(p.recs) > 0 {
			next = p.recs[len(p.recs)-1].streamSeq + 1
		}
		if p.rest == 0 || len(p.recs) == 0 {
			return out, nil
		}
	}
}

func records(recs []pageRec) []store.Record {
	out := make([]store.Record, len(recs))
	for i, r := range recs {
		out[i] = r.Record
	}
	return out
}

// unavailable marks err as the store being unavailable (503), once.
func unavailable(err error, what string) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

package cluster

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keboola/analyst-alerts/gateway/store"
)

// Source is a single gateway's history as ws-gateway migrate reads it
// (store.Store).
type Source interface {
	Epoch() string
	Users() ([]string, error)
	Since(user, epoch string, seq uint64) ([]store.Record, error)
	Revocations() (map[string]int64, error)
}

// MigrateResult counts what a migration copied.
type MigrateResult struct {
	Epoch       string
	Users       int
	Records     int // copied now
	Skipped     int // in the cluster already (a migration run before)
	Revocations int
}

// Migrate copies a single gateway's history and revocations into the
// cluster, keeping its epoch and every seq, so the apps' resume points
// stay valid and nobody's history is lost or replayed twice. The cluster
// must not hold another history: run it before the first node starts. It
// can be run again after an interruption: what is in the cluster already
// is skipped, and each record has a fixed message id.
func Migrate(o Options, src Source, progress func(user string, copied int)) (MigrateResult, error) {
	res := MigrateResult{Epoch: src.Epoch()}
	o.Epoch = src.Epoch()
	if o.Node == "" {
		o.Node = "migrate"
	}
	n, err := dial(o)
	if err != nil {
		return res, err
	}
	defer n.nc.Close()
	users, err := src.Users()
	if err != nil {
		return res, err
	}
	ctx := context.Background()
	for _, user := range users {
		recs, err := src.Since(user, res.Epoch, 0)
		if err != nil {
			return res, err
		}
		copied, skipped, err := n.copyHistory(ctx, user, recs)
		res.Records += copied
		res.Skipped += skipped
		if err != nil {
			return res, err
		}
		res.Users++
		if progress != nil {
			progress(user, copied)
		}
	}
	cuts, err := src.Revocations()
	if err != nil {
		return res, err
	}
	for user, cut := range cuts {
		if _, err := n.Revoke(user, cut); err != nil {
			return res, err
		}
		res.Revocations++
	}
	return res, nil
}

// copyHistory appends recs (oldest first) to user's subject after what it
// holds, with their seqs and frames unchanged.
func (n *Node) copyHistory(ctx context.Context, user string, recs []store.Record) (copied, skipped int, err error) {
	subject := subjectOf(user)
	var p pubSeq
	wctx, cancel := context.WithTimeout(ctx, n.opts.WriteWait)
	err = n.readLast(wctx, subject, &p)
	cancel()
	if err != nil {
		return 0, 0, err
	}
	for _, r := range recs {
		_, last, lastStream := p.get()
		if r.Seq <= last {
			skipped++
			continue
		}
		msg := &nats.Msg{Subject: subject, Data: r.Frame, Header: nats.Header{headerSeq: []string{strconv.FormatUint(r.Seq, 10)}}}
		id := "migrate-" + n.epoch + "-" + userKey(user) + "-" + strconv.FormatUint(r.Seq, 10)
		var ack *jetstream.PubAck
		wctx, cancel := context.WithTimeout(ctx, n.opts.WriteWait)
		err := n.retry(wctx, "copy "+strconv.Quote(user), func(ctx context.Context) error {
			var err error
			ack, err = n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(StreamName),
				jetstream.WithExpectLastSequencePerSubject(lastStream))
			return err
		})
		cancel()
		if isWrongLastSeq(err) {
			return copied, skipped, fmt.Errorf("the history of %q changed in the cluster during the migration (is a node running?)", user)
		}
		if err != nil {
			return copied, skipped, err
		}
		p.learn(r.Seq, ack.Sequence)
		copied++
	}
	return copied, skipped, nil
}

var _ Source = (*store.Store)(nil)

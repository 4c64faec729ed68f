package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keboola/analyst-alerts/gateway/hub"
)

// Cutoff is name's revocation cutoff (0: none).
func (n *Node) Cutoff(name string) int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cutoffs[name]
}

// Revoke stores name's cutoff in the revocations bucket (it never moves
// back) and closes this node's connections using older tokens. Every
// other node watches the bucket and closes its own; the count returned is
// this node's.
func (n *Node) Revoke(name string, notBefore int64) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	key := userKey(name)
	cut := notBefore
	for {
		var e jetstream.KeyValueEntry
		err := n.retry(ctx, "read a revocation", func(ctx context.Context) error {
			var err error
			e, err = n.revoked.Get(ctx, key)
			return err
		})
		var rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return 0, fmt.Errorf("%w: read the revocation of %q: %w", ErrUnavailable, name, err)
		default:
			rev = e.Revision()
			if cur, perr := strconv.ParseInt(string(e.Value()), 10, 64); perr == nil && cur >= notBefore {
				cut = cur
				return n.applyCutoff(name, cut), nil
			}
		}
		v := []byte(strconv.FormatInt(notBefore, 10))
		err = n.retry(ctx, "store a revocation", func(ctx context.Context) error {
			var err error
			if rev == 0 {
				_, err = n.revoked.Create(ctx, key, v)
			} else {
				_, err = n.revoked.Update(ctx, key, v, rev)
			}
			return err
		})
		if err == nil {
			return n.applyCutoff(name, cut), nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, fmt.Errorf("%w: store the revocation of %q: %w", ErrUnavailable, name, err)
		}
	}
}

// onRevoked follows the revocations bucket.
func (n *Node) onRevoked(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	name, ok := userFromKey(e.Key())
	if !ok {
		return
	}
	cut, err := strconv.ParseInt(string(e.Value()), 10, 64)
	if err != nil {
		return
	}
	n.applyCutoff(name, cut)
}

// applyCutoff raises name's cutoff and closes this node's connections
// whose tokens are older; it returns how many it closed.
func (n *Node) applyCutoff(name string, cut int64) int {
	n.mu.Lock()
	if cut > n.cutoffs[name] {
		n.cutoffs[name] = cut
	}
	cut = n.cutoffs[name]
	u := n.users[name]
	n.mu.Unlock()
	if u == nil {
		return 0
	}
	var victims []hub.Subscriber
	u.mu.Lock()
	for _, a := range u.subs {
		if a.sub.IssuedAt() < cut {
			victims = append(victims, a.sub)
		}
	}
	u.mu.Unlock()
	for _, s := range victims {
		s.Revoke()
	}
	return len(victims)
}

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// connEntry is one live connection in a user's key of the connections
// bucket: which node holds it, in which incarnation, under which id.
type connEntry struct {
	Node string `json:"node"`
	Boot string `json:"boot"`
	ID   string `json:"id"`
}

// nodeBeatValue is what a node writes to the nodes bucket.
type nodeBeatValue struct {
	Boot        string `json:"boot"`
	Connections int    `json:"connections"`
}

func (n *Node) nextConnID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.connSeq++
	return strconv.FormatUint(n.connSeq, 36)
}

// alive says whether an entry still holds a place: this node's entries of
// this incarnation always do (they are removed on detach); another node's
// while its heartbeat is fresh and from the same incarnation. A node that
// was killed frees its users' places nodeTTL after its last heartbeat, or
// at once when it restarts under the same name.
func (n *Node) alive(e connEntry) bool {
	if e.Node == n.opts.Node {
		return e.Boot == n.boot
	}
	n.mu.Lock()
	p, ok := n.peers[e.Node]
	n.mu.Unlock()
	return ok && p.boot == e.Boot && time.Since(p.seen) < nodeTTL
}

// reserve takes one of the user's places, cluster-wide, by compare-and-set
// on the user's key, dropping dead entries on the way.
func (n *Node) reserve(ctx context.Context, name, id string) error {
	key := userKey(name)
	for attempt := 0; ; attempt++ {
		entries, rev, err := n.connsOf(ctx, key, attempt)
		if err != nil {
			return err
		}
		live := entries[:0]
		for _, e := range entries {
			if n.alive(e) {
				live = append(live, e)
			}
		}
		if len(live) >= n.opts.MaxConnsPer {
			if attempt == 0 {
				continue // the view may be behind a disconnect: refuse only on a fresh read
			}
			return hub.ErrTooManyConnections
		}
		live = append(live, connEntry{Node: n.opts.Node, Boot: n.boot, ID: id})
		err = n.writeConns(ctx, key, live, rev)
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return fmt.Errorf("%w: reserve a connection of %q: %w", ErrUnavailable, name, err)
		}
		// Another connect or disconnect of this user won: read again.
	}
}

// release gives the place back. While NATS is away it retries in the
// background, so a place is not held by a connection that is gone.
func (n *Node) release(name, id string) {
	if n.releaseOnce(name, id) == nil {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			select {
			case <-n.stop:
				return
			case <-time.After(time.Second):
			}
			if err := n.releaseOnce(name, id); err == nil {
				return
			}
		}
	}()
}

func (n *Node) releaseOnce(name, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	key := userKey(name)
	for attempt := 0; ; attempt++ {
		entries, rev, err := n.connsOf(ctx, key, attempt)
		if err != nil {
			return err
		}
		keep := entries[:0]
		for _, e := range entries {
			if (e.Node != n.opts.Node || e.ID != id || e.Boot != n.boot) && n.alive(e) {
				keep = append(keep, e)
			}
		}
		if len(keep) == len(entries) {
			return nil // not there (a dead-entry sweep took it)
		}
		if len(keep) == 0 {
			err = n.retry(ctx, "delete connections", func(ctx context.Context) error {
				return n.conns.Delete(ctx, key, jetstream.LastRevision(rev))
			})
		} else {
			err = n.writeConns(ctx, key, keep, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			n.log.Warn("cannot release a connection's place; retrying", slog.String("user", name), slog.Any("error", err))
			return err
		}
	}
}

// connState is a user's key in the connections bucket as the watch last
// showed it.
type connState struct {
	entries []connEntry
	rev     uint64
	at      time.Time // when the watch showed it (prune keeps a fresh one)
}

// onConns follows the connections bucket, so that a connect needs no read
// before its compare-and-set (a stale view costs a refused write and a
// read), and a dispatch's "sent" none at all.
func (n *Node) onConns(e jetstream.KeyValueEntry) {
	name, ok := userFromKey(e.Key())
	if !ok {
		return
	}
	st := connState{rev: e.Revision(), at: time.Now()}
	if e.Operation() == jetstream.KeyValuePut {
		json.Unmarshal(e.Value(), &st.entries) // unreadable: none
	}
	n.mu.Lock()
	if cur, ok := n.connView[name]; !ok || st.rev > cur.rev {
		n.connView[name] = st
	}
	n.mu.Unlock()
}

// connsOf is a user's entries and revision: from the watched view on a
// first attempt, read from the bucket after a conflict.
func (n *Node) connsOf(ctx context.Context, key string, attempt int) ([]connEntry, uint64, error) {
	if attempt == 0 {
		if name, ok := userFromKey(key); ok {
			n.mu.Lock()
			st, ok := n.connView[name]
			n.mu.Unlock()
			if ok {
				return slices.Clone(st.entries), st.rev, nil
			}
		}
	}
	return n.readConns(ctx, key)
}

// readConns reads a user's entries and the key's revision (0: no key).
func (n *Node) readConns(ctx context.Context, key string) ([]connEntry, uint64, error) {
	var e jetstream.KeyValueEntry
	err := n.retry(ctx, "read connections", func(ctx context.Context) error {
		var err error
		e, err = n.conns.Get(ctx, key)
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: read connections: %w", ErrUnavailable, err)
	}
	var entries []connEntry
	if err := json.Unmarshal(e.Value(), &entries); err != nil {
		return nil, e.Revision(), nil // unreadable: start the key over
	}
	return entries, e.Revision(), nil
}

func (n *Node) writeConns(ctx context.Context, key string, entries []connEntry, rev uint64) error {
	v, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	return n.retry(ctx, "write connections", func(ctx context.Context) error {
		if rev == 0 {
			_, err := n.conns.Create(ctx, key, v)
			return err
		}
		_, err := n.conns.Update(ctx, key, v, rev)
		return err
	})
}

// clusterConns is the user's live connections in the cluster as the
// watched view shows them, for the dispatch answer's "sent".
func (n *Node) clusterConns(name string) int {
	n.mu.Lock()
	entries := n.connView[name].entries
	n.mu.Unlock()
	k := 0
	for _, e := range entries {
		if n.alive(e) {
			k++
		}
	}
	return k
}

// heartbeat writes this node's key every nodeBeat.
func (n *Node) heartbeat() {
	defer n.wg.Done()
	t := time.NewTicker(nodeBeat)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), n.opts.OpTimeout)
		if err := n.beat(ctx); err != nil {
			n.log.Warn("cannot write this node's heartbeat", slog.Any("error", err))
		}
		cancel()
	}
}

func (n *Node) beat(ctx context.Context) error {
	total, _ := n.Stats()
	v, _ := json.Marshal(nodeBeatValue{Boot: n.boot, Connections: total})
	_, err := n.nodes.Put(ctx, nodeKey(n.opts.Node), v)
	return err
}

// onPeer follows the nodes bucket.
func (n *Node) onPeer(e jetstream.KeyValueEntry) {
	name, ok := userFromKey(e.Key())
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(n.peers, name)
		return
	}
	var v nodeBeatValue
	if json.Unmarshal(e.Value(), &v) != nil {
		return
	}
	n.peers[name] = peer{boot: v.Boot, seen: time.Now(), conns: v.Connections}
}

// Nodes is every node whose heartbeat this node has seen, this one first.
func (n *Node) Nodes() []protocol.NodeHealth {
	total, _ := n.Stats()
	out := []protocol.NodeHealth{{Name: n.opts.Node, Connections: total, Alive: true}}
	n.mu.Lock()
	defer n.mu.Unlock()
	var others []protocol.NodeHealth
	for name, p := range n.peers {
		if name != n.opts.Node {
			others = append(others, protocol.NodeHealth{Name: name, Connections: p.conns, Alive: time.Since(p.seen) < nodeTTL})
		}
	}
	slices.SortFunc(others, func(a, b protocol.NodeHealth) int { return strings.Compare(a.Name, b.Name) })
	return append(out, others...)
}

// Health is the cluster part of GET /health.
func (n *Node) Health() *protocol.ClusterHealth {
	return &protocol.ClusterHealth{NATS: n.nc.Status().String(), NATSServer: n.nc.ConnectedUrlRedacted(), Nodes: n.Nodes()}
}

// Connected says the NATS connection is up.
func (n *Node) Connected() bool { return n.nc.IsConnected() }

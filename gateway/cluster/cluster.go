// Package cluster is the gateway's fan-out across several nodes on NATS
// JetStream: a second implementation of server.Fanout beside hub.Local.
//
// Every node keeps its own connections; what they share lives in NATS:
//
//   - the history: one replicated stream, one subject per user, at most
//     HistoryLimit messages per subject. A user's next seq is taken with
//     optimistic concurrency on the subject's last stream sequence
//     (Nats-Expected-Last-Subject-Sequence), so two nodes can never give
//     out the same seq and none is skipped;
//   - live fan-out: each node reads the whole stream in order with one
//     consumer of its own (live.go) and hands every stored message to its own connections of
//     that user, so every node sees every user's messages once, in order;
//   - revocations: a KV bucket every node watches;
//   - the per-user connection limit: a KV bucket with one key per user
//     holding their live connections, changed by compare-and-set;
//   - the nodes: a KV bucket where each node writes a heartbeat.
//
// docs/cluster.md has the design and the runbook.
package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// The names every node agrees on. Changing one splits the cluster.
const (
	StreamName    = "ALERTS_HISTORY"
	subjectPrefix = "alerts.history."
	BucketRevoked = "alerts_revoked"
	BucketConns   = "alerts_connections"
	BucketNodes   = "alerts_nodes"
	metaEpoch     = "epoch" // the stream metadata key naming its history
	headerSeq     = "Alerts-Seq"
)

// How often a node writes its heartbeat, and how long after the last one
// its connections stop counting against the per-user limit.
var (
	nodeBeat = 2 * time.Second
	nodeTTL  = 10 * time.Second
)

// ErrUnavailable is returned while NATS cannot take a write (lost
// connection, no quorum): the caller answers 503, never a false success.
var ErrUnavailable = hub.ErrUnavailable

// ErrOtherHistory refuses a migration into a cluster that already has a
// history of its own.
var ErrOtherHistory = errors.New("the cluster already holds another history")

// Options configure a node.
type Options struct {
	URLs         string // comma-separated NATS URLs
	Node         string // this node's name (unique in the cluster)
	Replicas     int    // replicas of the history stream and the buckets
	HistoryLimit int    // notifications kept per user
	MaxConnsPer  int    // live connections per user, across the cluster
	// NATS are extra connection options (credentials, TLS, ...).
	NATS []nats.Option
	// Auth says which credentials NATS gets, for a refused connection's
	// message: where they come from, never a secret.
	Auth  string
	Hooks hub.Hooks
	Log   *slog.Logger
	// OpTimeout bounds one request to NATS (default 2 s).
	OpTimeout time.Duration
	// WriteWait bounds a dispatch's wait for the history write while NATS
	// is connected but cannot take it yet: a stream whose leader died
	// elects another within 4-9 s (default 9 s: under the 10 s of the
	// dispatch clients, so a dispatch is answered 503 rather than cut off).
	WriteWait time.Duration
	// Epoch names a history stream this node creates (ws-gateway migrate
	// gives the embedded store's, so the apps' resume points stay valid);
	// empty: a new random one.
	Epoch string
	// ReconnectGrace is how long a dispatch waits for a lost NATS
	// connection to come back (to another server) before it is refused
	// (default 1 s).
	ReconnectGrace time.Duration
}

// Node is one gateway node's view of the cluster.
type Node struct {
	opts   Options
	log    *slog.Logger
	boot   string // this process's incarnation: entries of an older one are dead
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	epoch  string

	revoked, conns, nodes jetstream.KeyValue

	mu sync.Mutex
	// The per-user maps: prune drops a user's entries once nothing on
	// this node needs them (prune.go).
	users   map[string]*user // live local attachments
	cutoffs map[string]int64 // revocations, from the watched bucket
	peers   map[string]peer  // nodes by name, from their heartbeats
	// connView is the connections bucket as watched (connState).
	connView map[string]connState
	pubs     map[string]*pubSeq // per-user belief of the last message, and the write lock

	connSeq uint64 // numbers this node's connections; guarded by mu

	conflicts atomic.Uint64 // publishes refused for a stale belief (Conflicts)

	watchers []jetstream.KeyWatcher
	stop     chan struct{}
	wg       sync.WaitGroup
	closing  sync.Once
}

// peer is another node as its last heartbeat showed it.
type peer struct {
	boot  string
	seen  time.Time // when this node received the heartbeat
	conns int       // its connections then
}

// Open connects to NATS, creates the stream and buckets if this is the
// first node, and starts the live consumer, the watchers and the heartbeat.
func Open(o Options) (*Node, error) {
	n, err := dial(o)
	if err != nil {
		return nil, err
	}
	if err := n.start(); err != nil {
		n.nc.Close()
		return nil, err
	}
	return n, nil
}

// dial connects and opens (or creates) the stream and the buckets.
func dial(o Options) (*Node, error) {
	if o.Node == "" {
		return nil, errors.New("cluster: a node name is required")
	}
	if o.Replicas <= 0 {
		o.Replicas = 3
	}
	if o.HistoryLimit <= 0 {
		o.HistoryLimit = 200
	}
	if o.MaxConnsPer <= 0 {
		o.MaxConnsPer = 5
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = 2 * time.Second
	}
	if o.WriteWait <= 0 {
		o.WriteWait = 9 * time.Second
	}
	if o.ReconnectGrace <= 0 {
		o.ReconnectGrace = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	n := &Node{opts: o, log: o.Log, boot: nuid.Next(),
		users: map[string]*user{}, cutoffs: map[string]int64{},
		peers: map[string]peer{}, connView: map[string]connState{}, pubs: map[string]*pubSeq{}, stop: make(chan struct{})}
	natsOpts := append([]nats.Option{
		nats.Name("ws-gateway " + o.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: this node closed it
				n.log.Warn("lost NATS; dispatches answer 503 until it is back", slog.Any("error", err))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			n.log.Info("NATS connection back", slog.String("server", c.ConnectedUrlRedacted()))
		}),
	}, o.NATS...)
	nc, err := nats.Connect(o.URLs, natsOpts...)
	if err != nil {
		if o.Auth != "" {
			return nil, fmt.Errorf("connect to NATS at %s with %s: %w", redactURLs(o.URLs), o.Auth, err)
		}
		return nil, fmt.Errorf("connect to NATS at %s: %w", redactURLs(o.URLs), err)
	}
	n.nc = nc
	if n.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, err
	}
	if err := n.openShared(); err != nil {
		nc.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) openShared() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*n.opts.WriteWait)
	defer cancel()
	if err := n.ensureStream(ctx); err != nil {
		return err
	}
	var err error
	if n.revoked, err = n.bucket(ctx, jetstream.KeyValueConfig{Bucket: BucketRevoked, History: 1}); err != nil {
		return err
	}
	if n.conns, err = n.bucket(ctx, jetstream.KeyValueConfig{Bucket: BucketConns, History: 1}); err != nil {
		return err
	}
	n.nodes, err = n.bucket(ctx, jetstream.KeyValueConfig{Bucket: BucketNodes, History: 1, TTL: nodeTTL})
	return err
}

// start joins the cluster: heartbeat, watchers, live consumer.
func (n *Node) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*n.opts.WriteWait)
	defer cancel()
	if err := n.beat(ctx); err != nil {
		return fmt.Errorf("write this node's heartbeat: %w", err)
	}
	if err := n.watch(ctx, n.nodes, n.onPeer); err != nil {
		return err
	}
	if err := n.watch(ctx, n.revoked, n.onRevoked); err != nil {
		return err
	}
	if err := n.watch(ctx, n.conns, n.onConns); err != nil {
		return err
	}
	if err := n.startLive(ctx); err != nil {
		return err
	}
	n.wg.Add(2)
	go n.heartbeat()
	go n.pruneLoop()
	return nil
}

// ensureStream creates the history stream, or takes the existing one's
// epoch and brings its limit and replicas to this node's configuration.
func (n *Node) ensureStream(ctx context.Context) error {
	want := jetstream.StreamConfig{
		Name:              StreamName,
		Description:       "analyst alerts: each user's last notifications",
		Subjects:          []string{subjectPrefix + "*"},
		Storage:           jetstream.FileStorage,
		Replicas:          n.opts.Replicas,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		MaxMsgsPerSubject: int64(n.opts.HistoryLimit),
		// Stream-wide limits stay unset: they could drop a user's last
		// message, and with it the seq the next one follows.
		MaxMsgs: -1, MaxBytes: -1, MaxAge: 0,
		Duplicates:  2 * time.Minute,
		AllowDirect: true,
		Metadata:    map[string]string{metaEpoch: n.opts.Epoch},
	}
	if n.opts.Epoch == "" {
		want.Metadata[metaEpoch] = store.NewEpoch()
	}
	// Retried while JetStream is still electing its leaders (a cluster
	// started at the same moment as the nodes).
	var s jetstream.Stream
	err := n.retry(ctx, "open the history stream", func(ctx context.Context) error {
		var err error
		s, err = n.js.Stream(ctx, StreamName)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			s, err = n.js.CreateStream(ctx, want)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another node won the race
				s, err = n.js.Stream(ctx, StreamName)
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("open the history stream %s: %w", StreamName, err)
	}
	n.stream = s
	cfg := s.CachedInfo().Config
	n.epoch = cfg.Metadata[metaEpoch]
	if n.epoch == "" {
		return fmt.Errorf("the stream %s has no %q in its metadata: it was not made by ws-gateway", StreamName, metaEpoch)
	}
	if n.opts.Epoch != "" && n.opts.Epoch != n.epoch {
		return fmt.Errorf("%w: the cluster's history is epoch %s, not %s", ErrOtherHistory, n.epoch, n.opts.Epoch)
	}
	if cfg.MaxMsgsPerSubject != want.MaxMsgsPerSubject || cfg.Replicas != want.Replicas {
		cfg.MaxMsgsPerSubject, cfg.Replicas = want.MaxMsgsPerSubject, want.Replicas
		if _, err := n.js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("update the history stream %s to %d per user, %d replicas: %w",
				StreamName, want.MaxMsgsPerSubject, want.Replicas, err)
		}
		n.log.Info("history stream updated", slog.Int64("per_user", want.MaxMsgsPerSubject), slog.Int("replicas", want.Replicas))
	}
	return nil
}

func (n *Node) bucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	cfg.Replicas = n.opts.Replicas
	cfg.Storage = jetstream.FileStorage
	var kv jetstream.KeyValue
	err := n.retry(ctx, "open the bucket "+cfg.Bucket, func(ctx context.Context) error {
		var err error
		kv, err = n.js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = n.js.KeyValue(ctx, cfg.Bucket)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open the key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// watch feeds every key of kv (its current values, then each change) to
// fn, from its own goroutine; it returns once the current values are in.
func (n *Node) watch(ctx context.Context, kv jetstream.KeyValue, fn func(jetstream.KeyValueEntry)) error {
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return fmt.Errorf("watch the bucket %s: %w", kv.Bucket(), err)
	}
	n.watchers = append(n.watchers, w)
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("watch the bucket %s: closed", kv.Bucket())
			}
			if e == nil { // the current values are all in
				n.wg.Add(1)
				go func() {
					defer n.wg.Done()
					for e := range w.Updates() {
						if e != nil {
							fn(e)
						}
					}
				}()
				return nil
			}
			fn(e)
		case <-ctx.Done():
			return fmt.Errorf("watch the bucket %s: %w", kv.Bucket(), ctx.Err())
		}
	}
}

// Epoch names the cluster's history (the stream's).
func (n *Node) Epoch() string { return n.epoch }

// Name is this node's name.
func (n *Node) Name() string { return n.opts.Node }

// Close leaves the cluster: no more live deliveries, the heartbeat key is
// removed so the other nodes stop counting this one's connections at
// once, and the NATS connection is drained.
func (n *Node) Close() error {
	var err error
	n.closing.Do(func() {
		close(n.stop)
		for _, w := range n.watchers {
			w.Stop()
		}
		ctx, cancel := context.WithTimeout(context.Background(), n.opts.OpTimeout)
		n.nodes.Delete(ctx, nodeKey(n.opts.Node))
		cancel()
		n.wg.Wait()
		err = n.nc.Drain()
		for !n.nc.IsClosed() {
			time.Sleep(10 * time.Millisecond)
		}
	})
	return err
}

// waitConnected waits up to the grace for a lost NATS connection to come
// back; false means the caller must refuse.
func (n *Node) waitConnected(ctx context.Context) bool {
	if n.nc.IsConnected() {
		return true
	}
	t := time.NewTimer(n.opts.ReconnectGrace)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return n.nc.IsConnected()
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
			if n.nc.IsConnected() {
				return true
			}
		}
	}
}

// retry runs op until it succeeds, fails for good, or ctx ends: each
// attempt gets OpTimeout, a lost connection gets ReconnectGrace to come
// back, and errors of NATS between leaders are tried again.
func (n *Node) retry(ctx context.Context, what string, op func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if !n.waitConnected(ctx) {
			return fmt.Errorf("%w: %s: not connected to NATS", ErrUnavailable, what)
		}
		actx, cancel := context.WithTimeout(ctx, n.opts.OpTimeout)
		err := op(actx)
		cancel()
		if err == nil || !retriable(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
		}
		select {
		case <-time.After(min(time.Duration(attempt+1)*50*time.Millisecond, 500*time.Millisecond)):
		case <-ctx.Done():
		}
	}
}

// userKey is a user name as one subject token and KV key: any name fits.
func userKey(user string) string { return base64.RawURLEncoding.EncodeToString([]byte(user)) }

func userFromKey(key string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(key)
	return string(b), err == nil
}

func nodeKey(node string) string { return userKey(node) }

func subjectOf(user string) string { return subjectPrefix + userKey(user) }

// redactURLs drops any user:password from the URLs for a message.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
				parts[i] = u[:scheme+3] + "***" + u[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}

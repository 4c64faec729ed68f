// Package server is the gateway process: the WebSocket listener for the
// apps, the HTTP-over-unix-socket dispatch API for the server side, the
// heartbeat, and an orderly shutdown.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/metrics"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/watch"
	"github.com/keboola/analyst-alerts/internal/peercred"
	"github.com/keboola/analyst-alerts/internal/unixsock"
)

// Fanout is what the connection and dispatch code need from delivery:
// publish to a user, attach a connection (replaying history since a key),
// read history, revoke. hub.Local implements it on one machine; a bus
// between several gateways would implement it again without touching
// this package.
type Fanout interface {
	Publish(user string, notification json.RawMessage) (protocol.DispatchResponse, error)
	Attach(user string, sub hub.Subscriber, resume *protocol.Resume) (hub.Attachment, int, error)
	Revoke(user string, notBefore int64) (int, error)
	Cutoff(user string) int64
	// Ack stores user's acknowledgement of notification id as an event in
	// the user's history (its own seq) and delivers it to every live
	// connection of the user; again: Acked false. protocol.ErrNotInHistory
	// when the history holds no notification with that id.
	Ack(user, id, via string) (protocol.AckResponse, error)
	// Notification is the state of user's notification id in the history
	// (protocol.ErrNotInHistory when there is none).
	Notification(user, id string) (protocol.NotificationState, error)
	// Recent lists user's last alerts with their state, newest first.
	Recent(user string, limit int) (protocol.RecentResponse, error)
	Stats() (int, map[string]int)
	// Epoch names the stored history (and revocations): it changes only
	// when they were lost.
	Epoch() string
}

// Gateway is a running gateway.
type Gateway struct {
	cfg    config.Config
	log    *slog.Logger
	fanout Fanout
	// closeFanout closes the store (or leaves the cluster) at shutdown.
	closeFanout func() error
	metrics     *metrics.Metrics
	access      *peercred.Access // who may do what on the dispatch socket (access.go)
	// watcher is the runner watcher (watch.go); stopWatch ends its loop.
	watcher   *watch.Watcher
	stopWatch context.CancelFunc
	// dispatchOK is metrics.Dispatches{result="ok"}, looked up once
	// rather than on every dispatch.
	dispatchOK prometheus.Counter
	// authOK is metrics.Auths{result="ok"}, looked up once rather than on
	// every connect.
	authOK prometheus.Counter

	// poll watches the idle connections' sockets (netpoll_linux.go).
	poll *poller

	wsLn        *wsListener
	dispatchLn  net.Listener
	dispatchSrv *dispatchServer

	mu sync.Mutex
	// clients are the authenticated connections, by the heartbeat slice
	// that pings them, so a tick visits only its own.
	clients   []map[*client]struct{}
	beatSlice uint32 // the heartbeat slice pinged last
	// handshaking are the connections accepted and not yet
	// authenticated, each with its parked handshake if it is parked
	// (park.go); sweepArmed: a sweep of the parked is scheduled.
	handshaking map[socket]*parked
	sweepArmed  bool
	handshakes  sync.WaitGroup
	pendingFull bool // the last connection was refused for MaxPending (log once)
	stopping    bool

	// handoff passes accepted connections to handshakers waiting for one
	// (wsaccept.go); idleHandshakers counts those waiting.
	handoff         chan acceptedConn
	idleHandshakers atomic.Int32

	// stopBeat, closed at shutdown, ends the heartbeat and the idle
	// handshakers.
	stopBeat chan struct{}
	done     sync.WaitGroup
}

// New opens the state, binds both listeners and returns a gateway ready to
// Serve. A bad configuration or a busy socket is an error here, before
// anything is served.
func New(cfg config.Config, log *slog.Logger) (*Gateway, error) {
	if err := protocol.CheckSecret(cfg.Secret); err != nil {
		return nil, err
	}
	acc, err := peercred.NewAccess(cfg.TrustedGroup, selfName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvTrustedGroup, err)
	}
	m := metrics.New()
	if cfg.Cluster.Enabled() {
		log = log.With(slog.String("node", cfg.Cluster.Node))
	}
	fanout, closeFanout, err := openFanout(cfg, log, m)
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: log, closeFanout: closeFanout, fanout: fanout, metrics: m, access: acc,
		dispatchOK: m.Dispatches.WithLabelValues("ok"), authOK: m.Auths.WithLabelValues(metrics.AuthOK),
		clients:     make([]map[*client]struct{}, heartbeatSlices(cfg.Heartbeat)),
		handshaking: map[socket]*parked{}, stopBeat: make(chan struct{}), handoff: make(chan acceptedConn)}
	for i := range g.clients {
		g.clients[i] = map[*client]struct{}{}
	}
	if g.poll, err = newPoller(); err != nil {
		closeFanout()
		return nil, err
	}
	if err := g.startWatcher(); err != nil {
		g.poll.close()
		closeFanout()
		return nil, err
	}

	g.wsLn, err = listenWS(cfg.Addr())
	if err != nil {
		g.stopWatch()
		g.done.Wait()
		g.poll.close()
		closeFanout()
		return nil, fmt.Errorf("listen for WebSockets on %s: %w", cfg.Addr(), err)
	}
	g.dispatchLn, err = unixsock.Listen(cfg.DispatchSocket, "gateway", -1)
	if err != nil {
		g.wsLn.Close()
		g.stopWatch()
		g.done.Wait()
		g.poll.close()
		closeFanout()
		return nil, err
	}
	g.dispatchSrv = g.newDispatchServer(log)
	if !peercred.Supported {
		log.Warn("this OS gives no peer credentials on unix sockets: every caller of the dispatch socket is trusted, its mode is the only access control")
	}
	// Started here, not in Serve, so a Shutdown racing with Serve always
	// waits for it.
	g.done.Add(2)
	go func() { defer g.done.Done(); g.heartbeat() }()
	go func() { defer g.done.Done(); g.poll.run() }()
	return g, nil
}

// WSAddr is the bound WebSocket address (useful with port 0).
func (g *Gateway) WSAddr() string { return g.wsLn.Addr().String() }

// Serve serves until Shutdown; it returns nil after a clean shutdown.
func (g *Gateway) Serve() error {
	g.log.Info("gateway listening",
		slog.String("websocket", "ws://"+g.WSAddr()+"/"),
		slog.String("dispatch_socket", g.cfg.DispatchSocket),
		slog.String("state_dir", g.cfg.StateDir),
		slog.Bool("fsync", g.cfg.Fsync))
	errc := make(chan error, 2)
	go func() { errc <- g.serveWS() }()
	go func() { errc <- g.dispatchSrv.Serve(g.dispatchLn) }()
	for i := 0; i < 2; i++ {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// Run serves until ctx is cancelled, then shuts down within the configured
// deadline.
func (g *Gateway) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- g.Serve() }()
	select {
	case err := <-errc:
		g.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	g.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownWait)
	defer cancel()
	err := g.Shutdown(sctx)
	if serr := <-errc; err == nil {
		err = serr
	}
	return err
}

// Shutdown stops accepting connections and dispatches, lets in-flight
// dispatches finish (so what was acknowledged is stored), closes every
// client with 1001 so it reconnects, closes the store and removes the
// socket file.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	if g.stopping {
		g.mu.Unlock()
		return nil
	}
	g.stopping = true
	g.mu.Unlock()

	wsErr := g.wsLn.Close() // stop accepting WebSockets
	if errors.Is(wsErr, net.ErrClosed) {
		wsErr = nil
	}
	g.endHandshakes()
	dispatchErr := g.dispatchSrv.Shutdown(ctx) // waits for in-flight dispatches; removes the socket
	close(g.stopBeat)
	g.stopWatch() // before the store closes: its alerts go through it
	g.mu.Lock()
	var clients []*client
	for _, slice := range g.clients {
		for c := range slice {
			clients = append(clients, c)
		}
	}
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); c.closeWith(g.shutdownCode(), "server shutting down", nil) }()
	}
	wg.Wait()
	g.handshakes.Wait()
	// Every client is closed: a socket still watched is one a reader
	// or closer is finishing.
	g.poll.close()
	g.done.Wait()
	storeErr := g.closeFanout()
	g.log.Info("gateway stopped", slog.Int("clients_closed", len(clients)))
	return errors.Join(wsErr, dispatchErr, storeErr)
}

// applyLogger counts the store's apply rounds and logs when they start
// failing and when they recover, not every retry.
func applyLogger(log *slog.Logger, m *metrics.Metrics) func(int, error) {
	failing := false
	return func(n int, err error) {
		switch {
		case err != nil:
			m.Applied.WithLabelValues("error").Inc()
			if !failing {
				log.Error("the store's background round failed (fsync of written segments, deletion of dead ones, compaction); retrying each round (meanwhile new records may not be on disk yet and disk use grows)", slog.Any("error", err))
			}
		case failing:
			m.Applied.WithLabelValues("ok").Inc()
			log.Info("the store's background round succeeded again (fsync, deletion, compaction); new records are on disk", slog.Int("records_compacted", n))
		default:
			m.Applied.WithLabelValues("ok").Inc()
		}
		failing = err != nil
	}
}

func (g *Gateway) track(c *client) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.handshaking, c.tcp) // its handshake is over
	if g.stopping {
		return false
	}
	c.beatSlice = g.beatSlice
	g.clients[c.beatSlice][c] = struct{}{}
	return true
}

func (g *Gateway) untrack(c *client) {
	g.mu.Lock()
	delete(g.clients[c.beatSlice], c)
	g.mu.Unlock()
}

package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/keboola/analyst-alerts/gateway/cluster"
	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/metrics"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// clusterNode is what the server needs beyond Fanout from a cluster node:
// its name and health, and whether it can take dispatches.
type clusterNode interface {
	Name() string
	Connected() bool
	Health() *protocol.ClusterHealth
}

// openFanout opens the delivery the configuration asks for: the embedded
// store with the local hub (the default), or a node of a NATS cluster. The
// function returned closes it.
func openFanout(cfg config.Config, log *slog.Logger, m *metrics.Metrics) (Fanout, func() error, error) {
	hooks := hub.Hooks{
		Delivered: func(n int) { m.Deliveries.Add(float64(n)) },
		Replayed:  func(n int) { m.Replayed.Add(float64(n)) },
	}
	if cfg.Cluster.Enabled() {
		return openClusterNode(cfg, log, m, hooks)
	}
	st, err := store.Open(cfg.StateDir, store.Options{
		Limit: cfg.HistoryLimit, Fsync: cfg.Fsync,
		OnCommit: func(n int, _ time.Duration) { m.CommitBatch.Observe(float64(n)) },
		OnApply:  applyLogger(log, m),
	})
	if err != nil {
		return nil, nil, err
	}
	h, err := hub.New(st, cfg.MaxConnsPer, hooks)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	stop := dropExpiredRevocations(h, log)
	return h, func() error { stop(); return st.Close() }, nil
}

// revocationPruneEvery is how often the local hub forgets the revocation
// cutoffs that expired (hub.DropExpiredRevocations): they expire a second
// at a time, 30 days after they were set, so an hour late costs nothing.
var revocationPruneEvery = time.Hour

// dropExpiredRevocations runs h.DropExpiredRevocations every
// revocationPruneEvery (New ran it at start) until the function it returns
// is called, which waits for it to end.
func dropExpiredRevocations(h *hub.Local, log *slog.Logger) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	t := time.NewTicker(revocationPruneEvery)
	go func() {
		defer close(done)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				if _, err := h.DropExpiredRevocations(now); err != nil {
					log.Error("drop expired revocations", slog.Any("error", err))
				}
			}
		}
	}()
	return func() { close(quit); <-done }
}

func openClusterNode(cfg config.Config, log *slog.Logger, m *metrics.Metrics, hooks hub.Hooks) (Fanout, func() error, error) {
	o := cluster.OptionsFrom(cfg, log)
	o.Hooks = hooks
	n, err := cluster.Open(o)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster mode (%s): %w", config.EnvNATSURL, err)
	}
	node := prometheus.Labels{"node": o.Node}
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ws_gateway_cluster_nats_connected", ConstLabels: node,
			Help: "1 while this node is connected to NATS (it refuses dispatches otherwise)."},
			func() float64 { return b2f(n.Connected()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ws_gateway_cluster_seq_conflicts_total", ConstLabels: node,
			Help: "Dispatches whose first publish was refused because another node had just stored one for the same user (each cost a read and a retry)."},
			func() float64 { return float64(n.Conflicts()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ws_gateway_cluster_nodes_alive", ConstLabels: node,
			Help: "Gateway nodes with a recent heartbeat, this one included."},
			func() float64 {
				alive := 0
				for _, p := range n.Nodes() {
					if p.Alive {
						alive++
					}
				}
				return float64(alive)
			}),
	)
	return n, n.Close, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var _ clusterNode = (*cluster.Node)(nil)

// shutdownCode is what the clients are closed with at shutdown: in a
// cluster 1012 (service restart), so they reconnect and reach
// another node; on one machine 1001 (going away), as always.
func (g *Gateway) shutdownCode() int {
	if g.cfg.Cluster.Enabled() {
		return websocket.CloseServiceRestart
	}
	return websocket.CloseGoingAway
}

// health adds the node and the cluster to the health answer, and says
// "degraded" while the node cannot take dispatches.
func (g *Gateway) health(h *protocol.HealthResponse) {
	n, ok := g.fanout.(clusterNode)
	if !ok {
		return
	}
	h.Node, h.Cluster = n.Name(), n.Health()
	if !n.Connected() {
		h.Status = "degraded"
	}
}

// tryLater closes a connection the fan-out cannot attach now (a cluster
// node without NATS) with 1013 (try again later) and no auth_error: the
// token is fine, and an app takes auth_error as "sign in again".
func (g *Gateway) tryLater(ws *websocket.Conn, user string, err error) error {
	g.metrics.Auths.WithLabelValues(metrics.AuthError).Inc()
	g.log.Warn("connection refused for now: the store is unavailable", slog.String("user", user), slog.Any("error", err))
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "try again later"), time.Now().Add(time.Second))
	ws.NetConn().Close()
	return &authError{metrics.AuthError, "store unavailable", err}
}

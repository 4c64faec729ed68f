// Package metrics defines the gateway's Prometheus metrics, served at
// GET /metrics on the dispatch socket.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Auth results, the values of the "result" label of AuthsTotal.
const (
	AuthOK           = "ok"
	AuthInvalid      = "invalid_token"
	AuthExpired      = "expired"
	AuthRevoked      = "revoked"
	AuthTimeout      = "timeout"
	AuthBadFrame     = "bad_frame"
	AuthTooManyConns = "too_many_connections"
	AuthError        = "error"
)

// Metrics holds every collector, registered on its own registry so tests
// can run several gateways in one process.
type Metrics struct {
	Registry    *prometheus.Registry
	Connections prometheus.Gauge
	Auths       *prometheus.CounterVec
	Dispatches  *prometheus.CounterVec
	Deliveries  prometheus.Counter
	DroppedSlow prometheus.Counter
	Replayed    prometheus.Counter
	TooBig      prometheus.Counter
	// PendingRefused counts connections closed at accept because
	// WS_GATEWAY_MAX_PENDING handshakes were under way.
	PendingRefused prometheus.Counter
	CommitBatch    prometheus.Histogram
	Applied        *prometheus.CounterVec
}

// New creates and registers the collectors (with Go and process metrics).
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ws_gateway_connections", Help: "Authenticated WebSocket connections open now."}),
		Auths: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ws_gateway_auths_total", Help: "Authentication attempts by result."}, []string{"result"}),
		Dispatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ws_gateway_dispatches_total", Help: "Dispatch requests by result (ok, bad_request, too_large, error)."}, []string{"result"}),
		Deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ws_gateway_deliveries_total", Help: "Notifications queued to live connections."}),
		DroppedSlow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ws_gateway_dropped_slow_clients_total", Help: "Connections dropped because their send queue was full."}),
		Replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ws_gateway_replayed_notifications_total", Help: "Stored notifications sent to resuming clients."}),
		TooBig: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ws_gateway_oversized_frames_total", Help: "Connections closed for a frame over the size limit."}),
		PendingRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ws_gateway_pending_refused_total", Help: "Connections closed at accept because too many were not yet authenticated (WS_GATEWAY_MAX_PENDING)."}),
		CommitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ws_gateway_commit_batch_size", Help: "Notifications per history group commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}),
		Applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ws_gateway_history_applies_total", Help: "Background rounds of the history (fsync, deleting and compacting journal segments) that moved records or failed, by result (ok, error)."}, []string{"result"}),
	}
	m.Registry.MustRegister(m.Connections, m.Auths, m.Dispatches, m.Deliveries, m.DroppedSlow,
		m.Replayed, m.TooBig, m.PendingRefused, m.CommitBatch, m.Applied,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Applied.WithLabelValues("ok")
	m.Applied.WithLabelValues("error")
	for _, r := range []string{AuthOK, AuthInvalid, AuthExpired, AuthRevoked, AuthTimeout, AuthBadFrame, AuthTooManyConns} {
		m.Auths.WithLabelValues(r)
	}
	return m
}

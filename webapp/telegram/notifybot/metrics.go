package notifybot

import (
	"math"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

// Delivery results, the values of notify_bot_deliveries_total's "result".
const (
	ResultSent    = "sent"    // the Bot API took it
	ResultFailed  = "failed"  // refused for good: in the outbox's failed list
	ResultBlocked = "blocked" // the chat blocked the bot (403): failed list, chat unlinked
)

// Metrics are the bot's Prometheus collectors, served at GET /metrics on
// its socket (like the gateway's on the dispatch socket): what an operator
// alerts on is a growing outbox, failed deliveries and Telegram's 429s.
// Each bot has its own registry, so tests can run several in one process.
type Metrics struct {
	Registry *prometheus.Registry
	// Accepted counts messages queued by the socket, by kind (text, photo).
	Accepted *prometheus.CounterVec
	// Refused counts socket requests answered with an error, by its code.
	Refused *prometheus.CounterVec
	// Deliveries counts messages that left the outbox, by result.
	Deliveries *prometheus.CounterVec
	// RateLimited counts the Bot API's 429 answers (flood control).
	RateLimited prometheus.Counter
	// Retries counts sends retried after a network error, a 5xx or a 401.
	Retries prometheus.Counter
	// Latency is the time from the socket's accept to the Bot API's 200.
	Latency prometheus.Histogram
}

// NewMetrics creates and registers the collectors; the outbox's length
// and the linked users are read at each scrape.
func NewMetrics(box *outbox.Outbox, links *chatlinks.Store) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notify_bot_accepted_total", Help: "Messages queued in the outbox by the socket, by kind (text, photo)."}, []string{"kind"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notify_bot_refused_total", Help: "Socket requests refused, by error code."}, []string{"code"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notify_bot_deliveries_total", Help: "Messages that left the outbox, by result (sent, failed, blocked)."}, []string{"result"}),
		RateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "notify_bot_rate_limited_total", Help: "429 answers of the Bot API (each waited out, then sent again)."}),
		Retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "notify_bot_retries_total", Help: "Sends retried after a network error, a 5xx or a 401 of the Bot API."}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "notify_bot_delivery_seconds", Help: "Time from the socket's accept to the Bot API taking the message.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800}}),
	}
	queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "notify_bot_outbox_messages", Help: "Messages in the outbox waiting to be sent."},
		func() float64 { return float64(box.Len()) })
	linked := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "notify_bot_linked_users", Help: "Users with a linked Telegram chat (NaN when the links cannot be read)."},
		func() float64 {
			users, err := links.Users()
			if err != nil {
				return math.NaN()
			}
			return float64(len(users))
		})
	// Every result and kind is present from the start at 0, so a rate()
	// over a counter that has not moved yet is 0, not "no data".
	for _, r := range []string{ResultSent, ResultFailed, ResultBlocked} {
		m.Deliveries.WithLabelValues(r)
	}
	for _, k := range []string{"text", "photo"} {
		m.Accepted.WithLabelValues(k)
	}
	m.Registry.MustRegister(m.Accepted, m.Refused, m.Deliveries, m.RateLimited, m.Retries, m.Latency, queued, linked,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

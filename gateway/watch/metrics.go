package watch

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

type metrics struct {
	beats    prometheus.Counter
	outcomes *prometheus.CounterVec
	alerts   *prometheus.CounterVec
}

// newMetrics creates the watcher's collectors and registers them on reg
// (when not nil): heartbeats, the scripts' outcomes the runners reported,
// the alerts raised, and the runners overdue now.
func newMetrics(reg prometheus.Registerer, w *Watcher) metrics {
	m := metrics{
		beats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "notify_runner_heartbeats_total", Help: "notify-runner passes reported to the gateway."}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notify_runner_script_outcomes_total",
			Help: "Script runs by outcome (alerted, quiet, failed, bad_output, timeout), as the runners reported them."}, []string{"outcome"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notify_runner_watch_alerts_total", Help: "Alerts the runner watcher delivered, by kind (runner_silent, runner_back)."}, []string{"kind"}),
	}
	for _, o := range protocol.Outcomes {
		m.outcomes.WithLabelValues(o)
	}
	m.alerts.WithLabelValues(protocol.KindRunnerSilent)
	m.alerts.WithLabelValues(protocol.KindRunnerBack)
	if reg != nil {
		overdue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "notify_runners_overdue", Help: "Users whose notify-runner stopped reporting (GET /health lists them)."},
			func() float64 { return float64(len(w.Overdue())) })
		reg.MustRegister(m.beats, m.outcomes, m.alerts, overdue)
	}
	return m
}

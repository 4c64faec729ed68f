package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyrunner"
)

// heartbeatTimeout bounds the report of one pass.
const heartbeatTimeout = 5 * time.Second

// heartbeat tells the gateway's runner watcher (docs/health.md) that this
// user's runner made a pass and runs again every every, with the pass's
// outcomes for the metrics. A gateway that is down is logged and skipped:
// the watcher hears the next pass.
func heartbeat(ctx context.Context, gw *protocol.Client, user string, every time.Duration, outcomes []notifyrunner.Outcome, log *slog.Logger) {
	counts := map[string]int{}
	for _, o := range outcomes {
		if o.Health != "" {
			counts[o.Health]++
		}
	}
	ctx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
	defer cancel()
	err := gw.Heartbeat(ctx, protocol.HeartbeatRequest{User: user, Every: every.String(), Outcomes: counts})
	switch {
	case err == nil:
		log.Debug("heartbeat sent", slog.Duration("every", every))
	case errors.Is(err, protocol.ErrGatewayUnavailable):
		log.Info("heartbeat skipped: the gateway is not running", slog.Any("reason", err))
	default:
		log.Warn("heartbeat not taken by the gateway", slog.Any("error", err))
	}
}

package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/watch"
	"github.com/keboola/analyst-alerts/webapp/botclient"
)

// runnersFile is the runner watcher's state in WS_GATEWAY_STATE_DIR.
const runnersFile = "runners.json"

// startWatcher opens the runner watcher (gateway/watch) on the gateway's
// state folder and starts its loop; Shutdown stops it before the store
// closes, since its alerts go through the store.
func (g *Gateway) startWatcher() error {
	sinks := []watch.Sink{watch.PublishSink{Publish: g.fanout.Publish}}
	if g.cfg.BotSocket != "off" && g.cfg.BotSocket != "" {
		sinks = append(sinks, watch.BotSink{Bot: botclient.New(g.cfg.BotSocket)})
	}
	w, err := watch.Open(watch.Options{Path: filepath.Join(g.cfg.StateDir, runnersFile), SilentAfter: g.cfg.RunnerSilentAfter,
		Sinks: sinks, Log: g.log, Registerer: g.metrics.Registry})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.watcher, g.stopWatch = w, cancel
	g.done.Add(1)
	go func() { defer g.done.Done(); w.Run(ctx, g.cfg.WatchTick) }()
	return nil
}

// handleHeartbeat records one pass of a user's notify-runner. As for a
// dispatch, an untrusted caller (the analyst's own runner) may report
// only for its own user: nobody can keep someone else's switch from
// firing, or fire it.
func (g *Gateway) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	body, refused := g.readBody(w, r, "heartbeat")
	if refused != 0 {
		return
	}
	req, every, err := protocol.ParseHeartbeat(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, protocol.ErrorResponse{Error: err.Error()})
		return
	}
	if id := g.access.Identify(r.Context()); !id.Trusted && (id.Name == "" || id.Name != req.User) {
		g.forbid(w, id, "heartbeat for "+strconv.Quote(req.User), fmt.Sprintf("%s may only report its own runner; reporting for others needs %s",
			id, g.access.WhoIsTrusted()))
		return
	}
	g.watcher.Beat(req.User, every, req.Outcomes)
	if g.log.Enabled(r.Context(), slog.LevelDebug) {
		g.log.Debug("runner heartbeat", slog.String("user", req.User), slog.Duration("every", every))
	}
	writeJSON(w, http.StatusOK, protocol.HeartbeatResponse{OK: true})
}

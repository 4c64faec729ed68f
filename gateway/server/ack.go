package server

// Acknowledgements on the dispatch socket (POST /ack, GET /notification)
// and on the WebSocket (the ack frame). Who may act for whom is the
// dispatch's rule: an analyst's uid only for its own user, trusted callers
// for anyone; an app's connection only for the user its token names.

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func (g *Gateway) handleAck(w http.ResponseWriter, r *http.Request) {
	body, refused := g.readBody(w, r, "ack")
	if refused != 0 {
		return
	}
	req, err := protocol.ParseAck(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !g.mayActFor(w, r, "acknowledge", req.User) {
		return
	}
	res, err := g.fanout.Ack(req.User, req.ID, req.Via)
	if g.ackFailed(w, req.User, err) {
		return
	}
	if res.Acked {
		g.log.Info("acknowledged", slog.String("user", req.User), slog.String("id", req.ID),
			slog.String("via", req.Via), slog.Uint64("seq", res.Seq))
	}
	writeJSON(w, http.StatusOK, res)
}

func (g *Gateway) handleNotification(w http.ResponseWriter, r *http.Request) {
	user, id, err := protocol.ParseNotificationQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !g.mayActFor(w, r, "read the notifications of", user) {
		return
	}
	st, err := g.fanout.Notification(user, id)
	if g.ackFailed(w, user, err) {
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (g *Gateway) handleRecent(w http.ResponseWriter, r *http.Request) {
	user, limit, err := protocol.ParseRecentQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !g.mayActFor(w, r, "read the notifications of", user) {
		return
	}
	res, err := g.fanout.Recent(user, limit)
	if g.ackFailed(w, user, err) {
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// mayActFor answers 403 unless the caller may act for user.
func (g *Gateway) mayActFor(w http.ResponseWriter, r *http.Request, what, user string) bool {
	id := g.access.Identify(r.Context())
	if id.MayActFor(user) {
		return true
	}
	g.forbid(w, id, what+" "+strconv.Quote(user), fmt.Sprintf("%s may only %s its own user; others need %s",
		id, what, g.access.WhoIsTrusted()))
	return false
}

// ackFailed answers err (404 for an id not in the history, 503 while a
// cluster node cannot reach NATS) and says
// whether it did.
func (g *Gateway) ackFailed(w http.ResponseWriter, user string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, protocol.ErrNotInHistory):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, hub.ErrUnavailable): // a cluster node without NATS
		g.log.Warn("acknowledgement refused: the store is unavailable", slog.String("user", user), slog.Any("error", err))
		writeError(w, http.StatusServiceUnavailable, "the notification store is unavailable: nothing was read or stored, send it again")
	default:
		g.log.Error("acknowledgement failed", slog.String("user", user), slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, "could not read or store the acknowledgement")
	}
	return true
}

// ack acknowledges for the connection's own user, from its ack frame.
// Nothing is answered on the socket: the acked frame reaches this
// connection as every other of the user's; an id the history does not
// hold is only logged.
func (c *client) ack(id string) {
	if protocol.CheckAckID(id) != nil {
		return
	}
	res, err := c.g.fanout.Ack(c.user, id, protocol.ViaDesktop)
	switch {
	case errors.Is(err, protocol.ErrNotInHistory):
		c.g.log.Debug("ack of an unknown notification", slog.String("user", c.user), slog.String("id", id))
	case err != nil:
		c.g.log.Error("acknowledgement failed", slog.String("user", c.user), slog.Any("error", err))
	case res.Acked:
		c.g.log.Info("acknowledged", slog.String("user", c.user), slog.String("id", id),
			slog.String("via", protocol.ViaDesktop), slog.Uint64("seq", res.Seq))
	}
}

package server

// The dispatch socket's batched and light reads: POST /notifications/acks
// (the state of many notifications, for the Telegram bot's poll) and GET
// /epoch (the epoch alone, for the webapp's). They sit in front of
// dispatchRoutes (withLightReads), each checking its caller itself.

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/keboola/analyst-alerts/gateway/cluster"
	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// notificationsReader reads several of a user's notifications with one read
// of the history; both fan-outs are one.
type notificationsReader interface {
	Notifications(user string, ids []string) (map[string]protocol.NotificationState, error)
}

var (
	_ notificationsReader = (*hub.Local)(nil)
	_ notificationsReader = (*cluster.Node)(nil)
)

// withLightReads serves POST /notifications/acks and GET /epoch and hands
// everything else to next. Two comparisons of the path are all it adds to
// the dispatch's hot path.
func (g *Gateway) withLightReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case protocol.PathNotificationAcks:
			if onlyMethod(w, r, http.MethodPost) {
				g.handleNotificationAcks(w, r)
			}
		case protocol.PathEpoch:
			// Trusted callers only, as /health which also answers it.
			if id := g.access.Identify(r.Context()); !id.Trusted {
				g.forbid(w, id, r.Method+" "+r.URL.Path, id.String()+" may not read the epoch; it needs "+g.access.WhoIsTrusted())
				return
			}
			if onlyMethod(w, r, http.MethodGet) {
				writeJSON(w, http.StatusOK, protocol.EpochResponse{Epoch: g.fanout.Epoch()})
			}
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// onlyMethod answers 405 unless r uses method, and says whether it does.
func onlyMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, http.StatusMethodNotAllowed, r.URL.Path+" takes "+method)
	return false
}

// handleNotificationAcks answers the state of each notification asked
// about, in the order asked. The caller rule is GET /notification's,
// applied to each one: an analyst's uid reads its own user's, trusted
// callers anyone's; a notification the caller may not read is answered
// "forbidden" (its neighbours still are), and logged once per request.
// Each user's history is read once.
func (g *Gateway) handleNotificationAcks(w http.ResponseWriter, r *http.Request) {
	body, refused := g.readBody(w, r, "notifications/acks")
	if refused != 0 {
		return
	}
	qs, err := protocol.ParseAckQueries(body)
	switch {
	case errors.Is(err, protocol.ErrTooManyAckQueries):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	caller := g.access.Identify(r.Context())
	byUser := map[string][]string{} // the ids asked of each user the caller may read
	var forbidden []string
	for _, q := range qs {
		if !caller.MayActFor(q.User) {
			forbidden = append(forbidden, q.User)
			continue
		}
		byUser[q.User] = append(byUser[q.User], q.ID)
	}
	states := make(map[string]map[string]protocol.NotificationState, len(byUser))
	for user, ids := range byUser {
		st, err := g.notifications(user, ids)
		if g.ackFailed(w, user, err) {
			return
		}
		states[user] = st
	}
	if len(forbidden) > 0 {
		g.log.Warn("dispatch socket: forbidden", slog.String("caller", caller.String()),
			slog.String("request", "read the notifications of "+strconv.Quote(forbidden[0])),
			slog.Int("refused", len(forbidden)))
	}
	out := protocol.AckStates{Notifications: make([]protocol.AckState, len(qs))}
	for i, q := range qs {
		if !caller.MayActFor(q.User) {
			out.Notifications[i] = protocol.AckState{Status: protocol.AckStateForbidden}
			continue
		}
		st, ok := states[q.User][q.ID]
		if !ok {
			out.Notifications[i] = protocol.AckState{Status: protocol.AckStateNotFound}
			continue
		}
		out.Notifications[i] = protocol.StateOfNotification(st)
	}
	writeJSON(w, http.StatusOK, out)
}

// notifications reads user's ids with one read of the history when the
// fan-out can, else one by one.
func (g *Gateway) notifications(user string, ids []string) (map[string]protocol.NotificationState, error) {
	if nr, ok := g.fanout.(notificationsReader); ok {
		return nr.Notifications(user, ids)
	}
	out := make(map[string]protocol.NotificationState, len(ids))
	for _, id := range ids {
		st, err := g.fanout.Notification(user, id)
		if errors.Is(err, protocol.ErrNotInHistory) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, nil
}

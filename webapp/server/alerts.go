package server

// The dashboard's recent alerts (issue 14): read from the gateway's history
// (GET /recent) with their state, and acknowledged from the browser as the
// signed-in user (POST /ack, via web). The titles and messages are the
// scripts' untrusted text: the template escapes them, the script sets
// textContent only.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/session"
)

// PathDashboardAck acknowledges one of the signed-in user's alerts.
const PathDashboardAck = "/dashboard/alerts/ack"

// dashboardAlerts is how many recent alerts the dashboard lists.
const dashboardAlerts = 20

// recentAlerts reads the user's recent alerts for the dashboard, or the
// sentence shown instead.
func (s *Server) recentAlerts(ctx context.Context, user string) ([]protocol.RecentAlert, string) {
	res, err := s.Gateway.Recent(ctx, user, dashboardAlerts)
	switch {
	case err == nil:
		return res.Alerts, ""
	case errors.Is(err, protocol.ErrGatewayUnavailable):
		return nil, "The gateway is not running: recent alerts cannot be listed."
	default:
		s.Log.Error("read recent alerts", slog.String("user", user), slog.Any("error", err))
		return nil, "Recent alerts cannot be read now."
	}
}

// dashboardAck: POST /dashboard/alerts/ack {"id"} as the signed-in user.
func (s *Server) dashboardAck(c *gin.Context, sess session.Session) error {
	var req struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(c.Request.Body).Decode(&req); err != nil {
		return apperr.BadRequest(`request body must be JSON: {"id":"..."}`).Wrap(err)
	}
	if err := protocol.CheckAckID(req.ID); err != nil {
		return apperr.BadRequest("%v", err)
	}
	ctx := c.Request.Context()
	res, err := s.Gateway.Ack(ctx, sess.User, req.ID, protocol.ViaWeb)
	switch {
	case protocol.IsNotFound(err):
		return apperr.NotFound("this alert is no longer in your history")
	case errors.Is(err, protocol.ErrGatewayUnavailable):
		return apperr.New(protocol.CodeUnavailable, http.StatusServiceUnavailable, "the gateway is not running; try again later").Wrap(err)
	case err != nil:
		return err
	}
	st, err := s.Gateway.Notification(ctx, sess.User, req.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"acked": res.Acked, "acked_at": st.AckedAt, "acked_via": st.AckedVia})
	return nil
}

// alertTime shows an RFC 3339 time (a string or *string) as the dashboard
// does; "" and nil stay "", anything else unparsed is shown as it is.
func alertTime(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case *string:
		if x != nil {
			s = *x
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

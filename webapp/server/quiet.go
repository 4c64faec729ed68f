package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/session"
)

// The portal's snooze and quiet-hours routes (signed-in browser,
// CSRF-checked); the desktop app has the same under protocol.PathDesktop*
// with its Bearer token. Each acts only for the caller's own user: the
// helper runs as that user and writes that user's settings file.
const (
	PathDashboardSnooze   = "/dashboard/scripts/snooze"
	PathDashboardUnsnooze = "/dashboard/scripts/unsnooze"
	PathDashboardQuiet    = "/dashboard/quiet"
)

func (s *Server) quietRoutes(r *gin.Engine, browser *gin.RouterGroup) {
	browser.POST(PathDashboardSnooze, s.api(func(c *gin.Context, sess session.Session) error { return s.snooze(c, sess.User) }))
	browser.POST(PathDashboardUnsnooze, s.api(func(c *gin.Context, sess session.Session) error { return s.unsnooze(c, sess.User) }))
	browser.GET(PathDashboardQuiet, s.api(func(c *gin.Context, sess session.Session) error { return s.quiet(c, sess.User) }))
	browser.POST(PathDashboardQuiet, s.api(func(c *gin.Context, sess session.Session) error { return s.setQuiet(c, sess.User) }))

	r.POST(protocol.PathDesktopSnooze, s.bearer(s.snooze))
	r.POST(protocol.PathDesktopUnsnooze, s.bearer(s.unsnooze))
	r.GET(protocol.PathDesktopQuiet, s.bearer(s.quiet))
	r.POST(protocol.PathDesktopQuiet, s.bearer(s.setQuiet))
}

// readJSON decodes a small JSON body into v, with the errors the other
// routes give.
func readJSON(c *gin.Context, v any) error {
	if err := json.NewDecoder(c.Request.Body).Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.New(protocol.CodeTooLarge, http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooBig.Limit)
		}
		return apperr.BadRequest("request body is not the expected JSON object")
	}
	return nil
}

func (s *Server) snooze(c *gin.Context, user string) error {
	var req protocol.SnoozeRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" || strings.TrimSpace(req.Until) == "" {
		return apperr.BadRequest(`"name" and "until" are required (until: a duration such as 1h, or an RFC 3339 time)`)
	}
	res, err := s.Scripts.Snooze(c.Request.Context(), user, strings.TrimSpace(req.Name), strings.TrimSpace(req.Until))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) unsnooze(c *gin.Context, user string) error {
	var req protocol.SnoozeRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" {
		return apperr.BadRequest(`"name" is required`)
	}
	res, err := s.Scripts.Unsnooze(c.Request.Context(), user, strings.TrimSpace(req.Name))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) quiet(c *gin.Context, user string) error {
	q, err := s.Scripts.Quiet(c.Request.Context(), user)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, protocol.QuietResponse{Quiet: q})
	return nil
}

func (s *Server) setQuiet(c *gin.Context, user string) error {
	var req protocol.QuietRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	if req.Off {
		if err := s.Scripts.QuietOff(ctx, user); err != nil {
			return err
		}
		c.JSON(http.StatusOK, protocol.QuietResponse{})
		return nil
	}
	if strings.TrimSpace(req.Window) == "" {
		return apperr.BadRequest(`"window" (HH:MM-HH:MM) or "off": true is required`)
	}
	q, err := s.Scripts.SetQuiet(ctx, user, strings.TrimSpace(req.Window), strings.TrimSpace(req.TZ))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, protocol.QuietResponse{Quiet: q})
	return nil
}

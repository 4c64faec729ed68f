package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/session"
)

// issue signs a new token for user. After an unlink it first waits until a
// token issued now is past the user's cutoff (at most a second), so a fresh
// authorization is never born revoked.
func (s *Server) issue(ctx context.Context, user string) (string, error) {
	if err := sleep(ctx, protocol.UntilCutoff(s.Now(), s.Links.Cutoff(user))); err != nil {
		return "", err
	}
	tok, _, err := protocol.IssueToken(s.Config.Secret, s.Config.Issuer, user, s.Now())
	return tok, err
}

// authorize: POST /api/desktop/authorize (signed in) -> {"url": deep link};
// marks the user linked. A body {"state": ...} (the app's one-time value,
// from /desktop/link?state=...) is handed back in the link so the app knows
// it asked for this sign-in; without one the answer is the seed's.
func (s *Server) authorize(c *gin.Context, sess session.Session) error {
	var req protocol.AuthorizeRequest
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, 4096))
	if err != nil {
		return apperr.BadRequest("cannot read the request body")
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return apperr.BadRequest("the body must be a JSON object like {\"state\": \"...\"}")
		}
	}
	if req.State != "" && !protocol.ValidLinkState(req.State) {
		return apperr.BadRequest("state must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -")
	}
	tok, err := s.issue(c.Request.Context(), sess.User)
	if err != nil {
		return err
	}
	if err := s.Links.MarkLinked(sess.User, s.Now()); err != nil {
		return err
	}
	s.Log.Info("desktop app authorized", slog.String("user", sess.User))
	c.JSON(http.StatusOK, protocol.AuthorizeResponse{URL: protocol.DeepLinkWithState(s.Config.URLScheme, tok, req.State)})
	return nil
}

// refresh: POST /api/desktop/refresh (Bearer, up to 7 days expired) -> {"token"}.
func (s *Server) refresh(c *gin.Context) {
	user, err := s.checkBearer(c, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	tok, err := s.issue(c.Request.Context(), user)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, protocol.RefreshResponse{Token: tok})
}

// unlink: POST /api/desktop/unlink (signed in) -> {"ok":true,"message"} or
// 400 {"error"}. Beyond the seed, tokens issued before now stop working
// here and on the gateway, whose live sessions for the user are closed.
func (s *Server) unlink(c *gin.Context, sess session.Session) error {
	return s.unlinkUser(c, sess.User)
}

// unlinkEither authenticates an unlink by Bearer token when the request
// carries an Authorization header (the app; a browser cannot add one
// cross-origin without a CORS preflight we never grant, and cookies are then
// ignored), else by session behind the cross-origin check.
func (s *Server) unlinkEither(crossOrigin gin.HandlerFunc) gin.HandlerFunc {
	bySession := s.api(s.unlink)
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") != "" {
			user, err := s.checkBearer(c, false)
			if err == nil {
				err = s.unlinkUser(c, user)
			}
			if err != nil {
				s.fail(c, err)
			}
			return
		}
		crossOrigin(c)
		if !c.IsAborted() {
			bySession(c)
		}
	}
}

func (s *Server) unlinkUser(c *gin.Context, user string) error {
	sess := session.Session{User: user}
	cutoff, err := s.Links.Unlink(sess.User, s.Now())
	if errors.Is(err, links.ErrNotLinked) {
		return apperr.New(apperr.CodeNotLinked, http.StatusBadRequest, "Desktop app is not linked")
	}
	if err != nil {
		return err
	}
	closed, gwErr := s.revokeOnGateway(c.Request.Context(), sess.User, cutoff)
	msg := "Desktop app unlinked. Its sign-in no longer works; authorize again to reconnect."
	if gwErr == nil && closed > 0 {
		s.Log.Info("desktop app unlinked", slog.String("user", sess.User), slog.Int("closed", closed))
	} else {
		s.Log.Info("desktop app unlinked", slog.String("user", sess.User))
	}
	c.JSON(http.StatusOK, protocol.UnlinkResponse{OK: true, Message: msg})
	return nil
}

// revokeOnGateway tells the gateway about a cutoff. A gateway that is down
// (or fails) is logged, not an error: the cutoff is kept as pending and
// resent by SyncRevocations until the gateway takes it.
func (s *Server) revokeOnGateway(ctx context.Context, user string, cutoff int64) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := s.Gateway.Revoke(ctx, user, cutoff)
	if err != nil {
		s.pendingMu.Lock()
		s.pending[user] = cutoff
		s.pendingMu.Unlock()
		lvl := slog.LevelError
		if errors.Is(err, protocol.ErrGatewayUnavailable) {
			lvl = slog.LevelWarn
		}
		s.Log.Log(ctx, lvl, "gateway not told about unlink yet; will retry", slog.String("user", user), slog.Any("error", err))
		return 0, err
	}
	s.pendingMu.Lock()
	if s.pending[user] <= cutoff {
		delete(s.pending, user)
	}
	s.pendingMu.Unlock()
	return res.Closed, nil
}

// SyncRevocations makes sure the gateway knows every cutoff: at start it
// sends all stored ones (the gateway may have missed an unlink while it or
// this process was down), then every interval it resends those the gateway
// has not confirmed, until ctx ends. Revoke is idempotent and the gateway
// keeps the latest cutoff, so resending is harmless.
func (s *Server) SyncRevocations(ctx context.Context, interval time.Duration) {
	s.pendingMu.Lock()
	for u, cut := range s.Links.Cutoffs() {
		if s.pending[u] < cut {
			s.pending[u] = cut
		}
	}
	s.pendingMu.Unlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.pendingMu.Lock()
		todo := make(map[string]int64, len(s.pending))
		for u, c := range s.pending {
			todo[u] = c
		}
		s.pendingMu.Unlock()
		for u, cut := range todo {
			if _, err := s.revokeOnGateway(ctx, u, cut); err != nil {
				break // the gateway is still away; try the rest next time
			}
			s.Log.Debug("gateway has the cutoff", slog.String("user", u))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PendingRevocations is how many cutoffs wait for the gateway (tests, health).
func (s *Server) PendingRevocations() int {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	return len(s.pending)
}

// listScripts: GET /api/desktop/scripts (Bearer) -> [{"name","stem","last_run"}].
func (s *Server) listScripts(c *gin.Context, user string) error {
	list, err := s.Scripts.List(c.Request.Context(), user)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list)
	return nil
}

// runScript: POST /api/desktop/scripts/run {"name":"x.py"} (Bearer) -> {"ok":true}.
func (s *Server) runScript(c *gin.Context, user string) error {
	name, err := readRunRequest(c)
	if err != nil {
		return err
	}
	if _, err := s.runAndDispatch(c.Request.Context(), user, name); err != nil {
		return err
	}
	c.JSON(http.StatusOK, protocol.OKResponse{OK: true})
	return nil
}

// RunOutcome is what the dashboard shows after a run.
type RunOutcome struct {
	OK        bool   `json:"ok"`
	Notify    bool   `json:"notify"`
	Title     string `json:"title,omitempty"`
	Message   string `json:"message,omitempty"`
	Delivered int    `json:"delivered"`           // live desktop connections reached
	Gateway   string `json:"gateway"`             // "ok", "unavailable", "error" or "" (nothing sent)
	Image     string `json:"image_url,omitempty"` // chart, when the script made one
}

// dashboardRun: POST /dashboard/scripts/run (signed in) -> RunOutcome.
func (s *Server) dashboardRun(c *gin.Context, sess session.Session) error {
	name, err := readRunRequest(c)
	if err != nil {
		return err
	}
	out, err := s.runAndDispatch(c.Request.Context(), sess.User, name)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func readRunRequest(c *gin.Context) (string, error) {
	var req protocol.RunScriptRequest
	dec := json.NewDecoder(c.Request.Body)
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", apperr.New(apperr.CodeTooLarge, http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooBig.Limit)
		}
		if errors.Is(err, io.EOF) {
			return "", apperr.BadRequest(`request body must be JSON: {"name":"script.py"}`)
		}
		return "", apperr.BadRequest(`request body is not valid JSON (expected {"name":"script.py"})`).Wrap(err)
	}
	if req.Name == "" {
		return "", apperr.BadRequest(`missing "name" (e.g. {"name":"revenue_check.py"})`)
	}
	if err := scripts.ValidName(req.Name); err != nil {
		return "", apperr.BadRequest("invalid script name: %v", err)
	}
	return req.Name, nil
}

// notification is what a run dispatches: the seed's fields plus the
// script's data object, passed through.
type notification struct {
	protocol.Notification
	Data json.RawMessage `json:"data,omitempty"`
}

// runAndDispatch runs a script and, when it says notify, sends the result
// to the user's desktop apps. A missing gateway is logged, not an error.
// A manual run ignores the cooldown (the user asked for it).
func (s *Server) runAndDispatch(ctx context.Context, user, name string) (RunOutcome, error) {
	res, err := s.Scripts.Run(ctx, user, name)
	if err != nil {
		return RunOutcome{}, err
	}
	out := RunOutcome{OK: true, Notify: res.Notify, Title: res.Title, Message: res.Message}
	if !res.Notify {
		return out, nil
	}
	n := notification{Notification: protocol.Notification{
		ID: uuid.NewString(), Title: res.Title, Message: res.Message,
		Script: scripts.Stem(name), Timestamp: s.Now().UTC().Format(time.RFC3339),
	}, Data: res.Data}
	// The helper, running as the user, publishes the chart into the images
	// folder and says where; only a URL of ours is passed on.
	if img, ok := strings.CutPrefix(res.ImageURL, protocol.PathImagesPrefix); ok && images.ValidName(img) {
		n.ImageURL, out.Image = res.ImageURL, res.ImageURL
	} else if res.ImageURL != "" || res.ImageError != "" {
		s.Log.Warn("chart not attached", slog.String("user", user), slog.String("script", name),
			slog.String("image_url", res.ImageURL), slog.String("image_error", res.ImageError))
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	sent, err := s.Gateway.Dispatch(dctx, user, n)
	switch {
	case err == nil:
		out.Gateway, out.Delivered = "ok", sent.Sent
	case errors.Is(err, protocol.ErrGatewayUnavailable):
		out.Gateway = "unavailable"
		s.Log.Warn("gateway not running; desktop delivery skipped", slog.String("user", user), slog.String("script", name))
	default:
		out.Gateway = "error"
		s.Log.Error("dispatch to gateway failed", slog.String("user", user), slog.String("script", name), slog.Any("error", err))
	}
	return out, nil
}

// image: GET /api/notifications/images/<name>.png, to a signed-in browser
// or a desktop token. Only files in DATA_DIR/images, names validated.
func (s *Server) image(c *gin.Context) {
	if _, err := s.Sessions.Read(c.Request); err != nil {
		if _, err := s.checkBearer(c, false); err != nil {
			s.fail(c, err)
			return
		}
	}
	name := c.Param("name")
	if !images.ValidName(name) {
		s.fail(c, apperr.BadRequest("invalid image name"))
		return
	}
	path, _ := s.Images.Path(name)
	f, err := os.Open(path)
	if err != nil {
		s.fail(c, apperr.NotFound("no such image"))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		s.fail(c, apperr.NotFound("no such image"))
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "image/png")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(c.Writer, c.Request, name, st.ModTime(), f)
}

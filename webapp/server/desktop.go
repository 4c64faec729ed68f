package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/session"
)

// issue signs a new token for user and marks the user linked, serialized
// with unlinks by the links store (see links.Store.Issue): a token is never
// born revoked, and none issued before an unlink survives it. presented is
// the token a refresh came with; nil for a signed-in browser.
func (s *Server) issue(ctx context.Context, user string, presented links.Revoked) (string, error) {
	tok, err := s.Links.Issue(ctx, user, presented, s.Now, func(now time.Time) (string, error) {
		tok, _, err := protocol.IssueToken(s.Config.Secret, s.Config.Issuer, user, now)
		return tok, err
	})
	if errors.Is(err, links.ErrRevoked) {
		return "", errTokenRevoked()
	}
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
	tok, err := s.issue(c.Request.Context(), sess.User, nil)
	if err != nil {
		return err
	}
	s.Log.Info("desktop app authorized", slog.String("user", sess.User))
	c.JSON(http.StatusOK, protocol.AuthorizeResponse{URL: protocol.DeepLinkWithState(s.Config.URLScheme, tok, req.State)})
	return nil
}

// refresh: POST /api/desktop/refresh (Bearer, up to 7 days expired) -> {"token"}.
// The old token is checked against the cutoff in the same step that signs
// the new one, so a refresh racing an unlink either comes first (and its
// new token is revoked by the unlink) or is refused.
func (s *Server) refresh(c *gin.Context) {
	claims, err := s.verifyBearer(c, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	tok, err := s.issue(c.Request.Context(), claims.Username(), revokedBy(claims))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxUser, claims.Username())
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
			user, err := s.checkBearer(c)
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
	cutoff, err := s.Links.Unlink(sess.User, s.Now)
	if errors.Is(err, links.ErrNotLinked) {
		return apperr.New(protocol.CodeNotLinked, http.StatusBadRequest, "Desktop app is not linked")
	}
	if err != nil {
		return err
	}
	closed, gwErr := s.revokeOnGateway(c.Request.Context(), sess.User, cutoff)
	// Check the gateway's epoch now rather than at the next tick: if it lost
	// its database, the other users' cutoffs must go back at once.
	select {
	case s.wake <- struct{}{}:
	default:
	}
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

// SyncRevocations makes sure the gateway knows every cutoff, until ctx
// ends. At start it sends all stored ones (the gateway may have missed an
// unlink while it or this process was down). Then every interval, and right
// after every unlink, it asks the gateway for its database's epoch: a new
// epoch means the gateway lost its database and the cutoffs in it, so all
// stored cutoffs are sent again; and it resends those the gateway has not
// confirmed. Revoke is idempotent and the gateway keeps the latest cutoff,
// so resending is harmless.
func (s *Server) SyncRevocations(ctx context.Context, interval time.Duration) {
	s.resendAll()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.syncRound(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// resendAll marks every stored cutoff as waiting for the gateway.
func (s *Server) resendAll() {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	for u, cut := range s.Links.Cutoffs() {
		if s.pending[u] < cut {
			s.pending[u] = cut
		}
	}
}

// syncRound checks the gateway's epoch and sends the pending cutoffs.
func (s *Server) syncRound(ctx context.Context) {
	if epoch, err := s.gatewayEpoch(ctx); err == nil && epoch != "" { // a gateway without epochs says nothing here
		s.pendingMu.Lock()
		seen := s.epoch
		s.epoch = epoch
		s.pendingMu.Unlock()
		if seen != epoch {
			if seen != "" {
				s.Log.Warn("the gateway's database is new (epoch changed); sending every stored cutoff again",
					slog.String("was", seen), slog.String("now", epoch))
			}
			s.resendAll()
		}
	}
	s.pendingMu.Lock()
	todo := make(map[string]int64, len(s.pending))
	for u, c := range s.pending {
		todo[u] = c
	}
	s.pendingMu.Unlock()
	for u, cut := range todo {
		if _, err := s.revokeOnGateway(ctx, u, cut); err != nil {
			return // the gateway is still away; try the rest next time
		}
		s.Log.Debug("gateway has the cutoff", slog.String("user", u))
	}
}

// gatewayEpoch asks the gateway for its epoch alone (GET /epoch), and a
// gateway older than that for its whole /health, which names every online
// user: the poll runs every 30 s whatever the number of users.
func (s *Server) gatewayEpoch(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	epoch, err := s.Gateway.Epoch(ctx)
	if !protocol.IsNotFound(err) {
		return epoch, err
	}
	h, err := s.Gateway.Health(ctx)
	return h.Epoch, err
}

// GatewayEpoch is the gateway database's epoch last seen ("" before the
// first answer; tests).
func (s *Server) GatewayEpoch() string {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	return s.epoch
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
	// Warnings say what was cut to fit a notification (long text, data too
	// large) or why an output field was not used.
	Warnings []string `json:"warnings,omitempty"`
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
			return "", apperr.New(protocol.CodeTooLarge, http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooBig.Limit)
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

// runAndDispatch runs a script and, when it says notify, sends the result
// to the user's desktop apps. A missing gateway is logged, not an error.
// A manual run ignores the cooldown (the user asked for it).
func (s *Server) runAndDispatch(ctx context.Context, user, name string) (RunOutcome, error) {
	res, err := s.Scripts.Run(ctx, user, name)
	if err != nil {
		return RunOutcome{}, err
	}
	// The helper has fitted the output to the notification budget already;
	// fitting it here too keeps every dispatch within one frame whatever the
	// helper printed (Fit of a fitted output changes nothing).
	res.Output = res.Output.Fit()
	for _, w := range res.Warnings {
		s.Log.Warn("script output", slog.String("user", user), slog.String("script", name), slog.String("warning", w))
	}
	out := RunOutcome{OK: true, Notify: res.Notify, Title: res.Title, Message: res.Message, Warnings: res.Warnings}
	if !res.Notify {
		return out, nil
	}
	n := notifyscript.Notification{Notification: protocol.Notification{
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

// image: GET /api/notifications/images/<name>.png|.jpg, to a signed-in
// browser or a desktop token. Every analyst can write the images folder, so
// images.Store.Open serves only what a publish produces (no link, FIFO,
// device, hard link or non-image); anything else is a 404 like a missing
// file, logged for the operator.
func (s *Server) image(c *gin.Context) {
	if _, err := s.Sessions.Read(c.Request); err != nil {
		if _, err := s.checkBearer(c); err != nil {
			s.fail(c, err)
			return
		}
	}
	name := c.Param("name")
	if !images.ValidName(name) {
		s.fail(c, apperr.BadRequest("invalid image name"))
		return
	}
	img, err := s.Images.Open(name)
	if err != nil {
		if errors.Is(err, images.ErrNotServed) {
			s.Log.Warn("chart image refused", slog.String("name", name), slog.Any("error", err))
		}
		s.fail(c, apperr.NotFound("no such image"))
		return
	}
	defer img.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(c.Writer, c.Request, name, img.Info.ModTime(), img)
}

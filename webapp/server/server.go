// Package server is the webapp's HTTP layer: every route is registered in
// Routes, in one place, so the whole surface is visible at once. Handlers
// return errors; fail turns them into responses in one place.
package server

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/session"
	"github.com/keboola/analyst-alerts/webapp/signin"
	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
)

// Gateway is what the webapp needs from the gateway's dispatch socket;
// *protocol.Client is the real one.
type Gateway interface {
	Dispatch(ctx context.Context, user string, notification any) (protocol.DispatchResponse, error)
	Revoke(ctx context.Context, user string, notBefore int64) (protocol.RevokeResponse, error)
	Health(ctx context.Context) (protocol.HealthResponse, error)
	// Epoch is the gateway's epoch alone (GET /epoch); an older gateway
	// answers 404 and Health tells it.
	Epoch(ctx context.Context) (string, error)
	// Recent, Ack and Notification: the dashboard's alerts (alerts.go).
	Recent(ctx context.Context, user string, limit int) (protocol.RecentResponse, error)
	Ack(ctx context.Context, user, id, via string) (protocol.AckResponse, error)
	Notification(ctx context.Context, user, id string) (protocol.NotificationState, error)
}

// Scripts is what the webapp needs from the notify-scripts helper;
// *scripts.Runner is the real one.
type Scripts interface {
	List(ctx context.Context, user string) ([]protocol.ScriptInfo, error)
	Run(ctx context.Context, user, name string) (scripts.Result, error)
	// Folder is where user's scripts go, for the dashboard's hint.
	Folder(user string) string
	// Snooze, Unsnooze, Quiet, SetQuiet and QuietOff change the user's
	// delivery settings through the helper (quiet.go).
	Snooze(ctx context.Context, user, script, until string) (scripts.SnoozeResult, error)
	Unsnooze(ctx context.Context, user, script string) (scripts.SnoozeResult, error)
	Quiet(ctx context.Context, user string) (*scripts.QuietHours, error)
	SetQuiet(ctx context.Context, user, window, zone string) (*scripts.QuietHours, error)
	QuietOff(ctx context.Context, user string) error
}

// Deps are the server's collaborators, built by main (or a test).
type Deps struct {
	Config   config.Config
	Links    *links.Store
	Sessions *session.Codec
	OIDC     *signin.OIDC // nil when AUTH_MODE=dev
	Rules    signin.Rules
	Scripts  Scripts
	Gateway  Gateway
	Images   images.Store
	Telegram Telegram // zero: DATA_DIR's links, the bot at NOTIFY_BOT_SOCKET
	Log      *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Server holds the handlers' state.
type Server struct {
	Deps
	pages *template.Template

	// Cutoffs the gateway has not confirmed yet (it was down): resent by
	// SyncRevocations so a gateway that missed an unlink still learns it.
	pendingMu sync.Mutex
	pending   map[string]int64
	// epoch is the gateway database's epoch last seen by SyncRevocations;
	// a new one means the gateway lost its cutoffs. Under pendingMu.
	epoch string
	// wake asks SyncRevocations for a round now (after every unlink).
	wake chan struct{}

	hosts    hostRule    // the Host headers answered
	tgVerify verifyGuard // wrong Telegram codes per user
}

// New builds the server.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	if d.Telegram.Links == nil {
		if d.Telegram.Links, err = chatlinks.Open(d.Config.DataDir); err != nil {
			return nil, err
		}
		d.Telegram.Links.Now = d.Now
	}
	return &Server{Deps: d, pages: pages, pending: map[string]int64{}, wake: make(chan struct{}, 1), hosts: newHostRule(d.Config)}, nil
}

// MaxBodyBytes bounds every request body; the API's bodies are tiny.
const MaxBodyBytes = 64 << 10

// Handler is the whole webapp as an http.Handler.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	// Forwarded headers are trusted only from the configured proxies.
	if err := r.SetTrustedProxies(s.Config.TrustedProxies); err != nil {
		s.Log.Error("bad WEBAPP_TRUSTED_PROXIES; trusting none", slog.Any("error", err))
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(s.recoverer, s.accessLog, securityHeaders, s.hostOnly, limitBody)
	s.Routes(r)
	r.NoRoute(func(c *gin.Context) { s.fail(c, apperr.NotFound("no such page: %s", c.Request.URL.Path)) })
	r.NoMethod(func(c *gin.Context) {
		s.fail(c, apperr.New(protocol.CodeMethodNotAllowed, http.StatusMethodNotAllowed, "%s is not allowed here", c.Request.Method))
	})
	return r
}

// Routes registers every route of the webapp.
func (s *Server) Routes(r *gin.Engine) {
	r.GET("/health", s.health)
	r.HEAD("/health", s.health)
	r.GET("/static/*file", staticFiles())
	r.GET("/favicon.ico", favicon) // browsers ask for it whatever the page says
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/dashboard") })

	// Browser endpoints: session cookie; state-changing ones refuse
	// cross-origin requests (CSRF).
	b := r.Group("/", s.crossOrigin())
	b.GET("/auth/login", s.login)
	b.GET("/auth/callback", s.callback)
	b.POST("/auth/logout", s.logout)
	if s.Config.AuthMode == config.AuthDev {
		b.GET("/auth/dev", s.devPage)
		b.POST("/auth/dev/login", s.devLogin)
	}
	b.GET(protocol.PathDesktopLink, s.page(s.linkPage))
	b.GET("/dashboard", s.page(s.dashboard))
	b.GET("/download/:name", s.page(s.download))
	b.POST(protocol.PathDesktopAuthorize, s.api(s.authorize))
	b.POST("/dashboard/scripts/run", s.api(s.dashboardRun))
	s.quietRoutes(r, b)
	b.POST(PathDashboardAck, s.api(s.dashboardAck))
	b.GET(PathTelegramStatus, s.api(s.telegramStatus))
	b.POST(PathTelegramVerify, s.api(s.telegramVerify))
	b.POST(PathTelegramLink, s.api(s.telegramLink))
	b.POST(PathTelegramUnlink, s.api(s.telegramUnlink))

	// Unlink: a signed-in browser (cross-origin refused), or beyond the
	// seed the app itself with its Bearer token (its "sign out").
	r.POST(protocol.PathDesktopUnlink, s.unlinkEither(s.crossOrigin()))

	// Desktop app endpoints: Bearer token, no cookies, so no CSRF exposure.
	r.POST(protocol.PathDesktopRefresh, s.refresh)
	r.GET(protocol.PathDesktopScripts, s.bearer(s.listScripts))
	r.GET(protocol.PathDesktopVersion, s.desktopVersion)
	r.POST(protocol.PathDesktopRunScript, s.bearer(s.runScript))

	// Images: a signed-in browser or the desktop app's token.
	r.GET(protocol.PathImagesPrefix+":name", s.image)
}

func (s *Server) health(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// fail renders err: JSON {"error","code"} for API calls, a page for
// browsers. Internal errors are logged with their cause and shown as
// "internal error"; the cause of the others is logged at debug.
func (s *Server) fail(c *gin.Context, err error) {
	e := apperr.From(err)
	if e.Status >= 500 {
		s.Log.Error("request failed", slog.String("path", c.Request.URL.Path),
			slog.String("code", e.Code), slog.Any("error", err))
	} else if e.Err != nil {
		s.Log.Debug("request refused", slog.String("path", c.Request.URL.Path),
			slog.String("code", e.Code), slog.Any("error", e.Err))
	}
	if wantsHTML(c) {
		s.renderPage(c, e.Status, "error.html", pageData{Title: http.StatusText(e.Status), Error: e})
		c.Abort()
		return
	}
	c.AbortWithStatusJSON(e.Status, protocol.ErrorResponse{Error: e.Message, Code: e.Code})
}

// wantsHTML: a browser navigating (GET of a page) gets an HTML error; API
// calls and anything under /api/ get JSON.
func wantsHTML(c *gin.Context) bool {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") || c.Request.Method != http.MethodGet {
		return c.Request.Method == http.MethodPost && strings.HasPrefix(c.Request.URL.Path, "/auth/")
	}
	return strings.Contains(c.GetHeader("Accept"), "text/html")
}

func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Log.Error("panic in handler", slog.String("path", c.Request.URL.Path), slog.Any("panic", v))
			s.fail(c, errors.New("panic"))
		}
	}()
	c.Next()
}

// Took renders how long something took for a log a person reads: "1.309s",
// "12.5ms" (slog.Duration is raw nanoseconds in LOG_FORMAT=json).
func Took(d time.Duration) string {
	switch {
	case d >= time.Second:
		d = d.Round(time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(10 * time.Microsecond)
	}
	return d.String()
}

func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.Log.Debug("request", slog.Group("request",
		slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()), slog.String("took", Took(time.Since(start))),
		slog.String("ip", c.ClientIP())))
}

// securityHeaders: a strict CSP (no inline script, nothing from outside),
// no framing, no sniffing, no referrer.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	c.Next()
}

func limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	}
	c.Next()
}

// crossOrigin refuses cross-origin state-changing requests with 403, using
// Go's http.CrossOriginProtection (Sec-Fetch-Site, then Origin vs Host).
func (s *Server) crossOrigin() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			s.fail(c, apperr.Forbidden("cross-origin request refused").Wrap(err))
			return
		}
		c.Next()
	}
}

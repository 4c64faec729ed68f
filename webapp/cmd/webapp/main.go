// Command webapp is the Analyst Alerts web portal. main only wires: the
// configuration comes from the environment (webapp/config lists every
// variable), the routes are in webapp/server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/logsetup"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/server"
	"github.com/keboola/analyst-alerts/webapp/session"
	"github.com/keboola/analyst-alerts/webapp/signin"
)

func main() {
	os.Exit(run(os.Environ(), os.Stderr))
}

func run(environ []string, stderr io.Writer) int {
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintln(stderr, "webapp: configuration:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)

	srv, err := build(cfg, log)
	if err != nil {
		log.Error("cannot start", slog.Any("error", err))
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("cannot listen", slog.String("addr", cfg.Addr), slog.Any("error", err))
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go srv.SyncRevocations(ctx, 30*time.Second)

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      120 * time.Second, // a script run may take 60 s
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("webapp listening", slog.String("addr", ln.Addr().String()),
		slog.String("url", cfg.PublicURL), slog.String("auth_mode", cfg.AuthMode),
		slog.String("data_dir", cfg.DataDir), slog.String("dispatch_socket", cfg.Socket))
	select {
	case err := <-errc:
		log.Error("server stopped", slog.Any("error", err))
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", slog.Any("error", err))
		return 1
	}
	log.Info("webapp stopped")
	return 0
}

func build(cfg config.Config, log *slog.Logger) (*server.Server, error) {
	store, err := links.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	key := cfg.SessionKey
	if key == nil {
		if key, err = session.DeriveKey(cfg.Secret); err != nil {
			return nil, err
		}
	}
	sessions, err := session.New(key, cfg.SecureCookies(), cfg.SessionMaxAge)
	if err != nil {
		return nil, err
	}
	umap, err := signin.LoadUsernameMap(cfg.UsernameMap)
	if err != nil {
		return nil, err
	}
	rules := signin.Rules{Domains: cfg.AllowedDomains, Emails: cfg.AllowedEmails, Map: umap, Primary: cfg.PrimaryDomain}
	if err := rules.Check(); err != nil {
		return nil, err
	}
	var oidc *signin.OIDC
	if cfg.AuthMode == config.AuthOIDC {
		oidc = signin.NewOIDC(cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCSecret, cfg.OIDCRedirect)
		oidc.AllowUnverifiedEmail = cfg.AllowUnverified
	} else {
		rules.AllowAny = len(cfg.AllowedDomains) == 0 && len(cfg.AllowedEmails) == 0
		log.Warn("AUTH_MODE=dev: development sign-in, anyone reaching this address can sign in as anyone")
	}
	return server.New(server.Deps{
		Config:   cfg,
		Links:    store,
		Sessions: sessions,
		OIDC:     oidc,
		Rules:    rules,
		Scripts: &scripts.Runner{Helper: cfg.Helper, Sudo: cfg.HelperRunAs == config.RunAsSudo,
			HomeRoot: cfg.HelperHomeRoot, ImagesDir: filepath.Join(cfg.DataDir, "images"), Env: cfg.HelperEnv},
		Gateway: protocol.NewClient(cfg.Socket),
		Images:  images.Store{Dir: filepath.Join(cfg.DataDir, "images")},
		Log:     log,
	})
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	return logsetup.New(w, cfg.LogFormat, cfg.LogLevel)
}

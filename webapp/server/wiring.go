package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/session"
	"github.com/keboola/analyst-alerts/webapp/signin"
)

// Wire builds the server's collaborators from the configuration alone: the
// data folder, the session codec, the sign-in rules, the helper, the
// gateway's socket. The webapp command and webapptest both use it, so a
// test runs the webapp as it is wired in production; a test may still
// change a collaborator before New.
func Wire(cfg config.Config, log *slog.Logger) (Deps, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := checkDataDir(cfg); err != nil {
		return Deps{}, err
	}
	store, err := links.Open(cfg.DataDir)
	if err != nil {
		return Deps{}, err
	}
	key := cfg.SessionKey
	if key == nil {
		if key, err = session.DeriveKey(cfg.Secret); err != nil {
			return Deps{}, err
		}
	}
	sessions, err := session.New(key, cfg.SecureCookies(), cfg.SessionMaxAge)
	if err != nil {
		return Deps{}, err
	}
	umap, err := signin.LoadUsernameMap(cfg.UsernameMap)
	if err != nil {
		return Deps{}, err
	}
	rules := signin.Rules{Domains: cfg.AllowedDomains, Emails: cfg.AllowedEmails, Map: umap, Primary: cfg.PrimaryDomain}
	if err := rules.Check(); err != nil {
		return Deps{}, err
	}
	var oidc *signin.OIDC
	if cfg.AuthMode == config.AuthOIDC {
		oidc = signin.NewOIDC(cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCSecret, cfg.OIDCRedirect)
		oidc.AllowUnverifiedEmail = cfg.AllowUnverified
	} else {
		rules.AllowAny = len(cfg.AllowedDomains) == 0 && len(cfg.AllowedEmails) == 0
		log.Warn("AUTH_MODE=dev: development sign-in, anyone reaching this address can sign in as anyone")
	}
	imagesDir := filepath.Join(cfg.DataDir, "images")
	return Deps{
		Config:   cfg,
		Links:    store,
		Sessions: sessions,
		OIDC:     oidc,
		Rules:    rules,
		Scripts: &scripts.Runner{Helper: cfg.Helper, Sudo: cfg.HelperRunAs == config.RunAsSudo,
			HomeRoot: cfg.HelperHomeRoot, ImagesDir: imagesDir, Env: cfg.HelperEnv},
		Gateway: protocol.NewClient(cfg.Socket),
		Images:  images.Store{Dir: imagesDir},
		Log:     log,
	}, nil
}

// checkDataDir refuses to create production's default data folder: with
// DATA_DIR unset, a webapp run by hand (perhaps as root) must not quietly
// make /data/notifications; deploy/ creates it for the service user.
func checkDataDir(cfg config.Config) error {
	if !cfg.DataDirDefault || cfg.DataDir != config.ProductionDataDir {
		return nil
	}
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is not set and its production default %s does not exist: create it for the webapp's user "+
			"(as deploy/ does) or set %s to the folder to keep the webapp's data in", config.EnvDataDir, cfg.DataDir, config.EnvDataDir)
	}
	return nil
}

// RevocationSyncEvery is how often a serving webapp asks the gateway for its
// epoch and resends unconfirmed revocation cutoffs (see SyncRevocations).
const RevocationSyncEvery = 30 * time.Second

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully
// (requests in flight get 10 s). Alongside it keeps the gateway's revocation
// cutoffs in sync every syncEvery (0: RevocationSyncEvery; negative: not at
// all, for a test that drives SyncRevocations itself). It returns nil after
// a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener, syncEvery time.Duration) error {
	syncCtx, stopSync := context.WithCancel(ctx)
	defer stopSync()
	if syncEvery == 0 {
		syncEvery = RevocationSyncEvery
	}
	if syncEvery > 0 {
		go s.SyncRevocations(syncCtx, syncEvery)
	}
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      120 * time.Second, // a script run may take 60 s
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.Log.Info("webapp listening", slog.String("addr", ln.Addr().String()),
		slog.String("url", s.Config.PublicURL), slog.String("auth_mode", s.Config.AuthMode),
		slog.String("data_dir", s.Config.DataDir), slog.String("dispatch_socket", s.Config.Socket))
	select {
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	s.Log.Info("shutting down")
	shCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.Log.Info("webapp stopped")
	return nil
}

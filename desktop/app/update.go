package app

import (
	"context"
	"log/slog"
	"net/url"
	"runtime"
	"time"

	"golang.org/x/mod/semver"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// UpdateEvery is how often the app asks the portal for a newer version
// (also once at start and when the server changes).
const UpdateEvery = 24 * time.Hour

// Update is a newer version the portal offers. The app only tells: the
// user downloads and installs it (API.OpenUpdate opens the link).
type Update struct {
	Version string `json:"version"`
	URL     string `json:"url"`
}

// runUpdateCheck checks at once, then every UpdateEvery, and again when
// checkUpdate is kicked (a new server), until ctx ends.
func (a *App) runUpdateCheck(ctx context.Context) {
	t := a.d.Clock.NewTicker(UpdateEvery)
	defer t.Stop()
	for {
		a.checkUpdate(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		case <-a.updateKick:
		}
	}
}

// checkUpdate asks the portal once. A failure keeps what was known: a
// portal down for a while does not hide a notice already shown.
func (a *App) checkUpdate(ctx context.Context) {
	if a.d.Version == "" {
		return // a development build has no version to compare
	}
	api := a.client()
	if api.Base() == "" {
		a.setUpdate(nil)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	// The check is the app's one request at start and then once a day:
	// its connection is not kept for a next request that is not coming.
	defer api.CloseIdle()
	v, err := api.LatestVersion(ctx, runtime.GOOS)
	if err != nil {
		slog.Info("cannot check for a newer version", slog.Any("error", err))
		return
	}
	a.setUpdate(newerVersion(a.d.Version, v, api.Base()))
}

// newerVersion is the update to show, or nil: the portal's version must be
// a release newer than ours, and its link a page of the portal itself (the
// app opens it in the browser, so it must not lead elsewhere).
func newerVersion(ours string, v protocol.DesktopVersion, server string) *Update {
	if v.Version == "" || !semver.IsValid("v"+v.Version) || semver.Prerelease("v"+v.Version) != "" ||
		semver.Compare("v"+v.Version, "v"+ours) <= 0 {
		return nil
	}
	u, err := url.Parse(v.URL)
	s, serr := url.Parse(server)
	if err != nil || serr != nil || u.Scheme != s.Scheme || u.Host != s.Host || u.User != nil {
		slog.Warn("newer version's link is not on the portal; not shown", slog.String("url", v.URL))
		return nil
	}
	return &Update{Version: v.Version, URL: u.String()}
}

func (a *App) setUpdate(u *Update) {
	a.mu.Lock()
	old := a.update
	a.update = u
	a.mu.Unlock()
	if (old == nil) != (u == nil) || (old != nil && *old != *u) {
		if u != nil {
			slog.Info("a newer version is available", slog.String("version", u.Version))
		}
		a.emitState()
	}
}

// kickUpdate asks runUpdateCheck to check now (the server changed).
func (a *App) kickUpdate() {
	select {
	case a.updateKick <- struct{}{}:
	default:
	}
}

// OpenUpdate opens the newer version's download page in the browser.
func (p *API) OpenUpdate() error {
	p.a.mu.Lock()
	u := p.a.update
	p.a.mu.Unlock()
	if u == nil {
		return apperr.New(apperr.NotFound, "No newer version is known", nil)
	}
	if p.a.d.Browser == nil {
		return apperr.New(apperr.Launch, "No browser available", nil)
	}
	if err := p.a.d.Browser(u.URL); err != nil {
		return apperr.New(apperr.Launch, "Cannot open the browser", err)
	}
	return nil
}

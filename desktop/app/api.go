package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/desktop/auth"
	"github.com/keboola/analyst-alerts/desktop/config"
	"github.com/keboola/analyst-alerts/desktop/opener"
	"github.com/keboola/analyst-alerts/desktop/settings"
	"github.com/keboola/analyst-alerts/desktop/store"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// API is bound to the page as window.go.app.API. Its TypeScript side is
// written by hand (frontend/src/api.ts, interface GoAPI; the JSON types in
// types.ts); TestBridgeMatchesTheBoundMethods and TestPageTypesMatchTheGoTypes
// keep both in step with these methods. Every error it returns is an *apperr.Error, which Wails'
// ErrorFormatter (apperr.Format) renders as {code, message}.
type API struct{ a *App }

const callTimeout = 30 * time.Second

// State is the header/settings state.
func (p *API) State() State { return p.a.State() }

// Notifications lists the stored notifications, newest first; an empty
// list is [] (never null, which the page cannot render).
func (p *API) Notifications() []store.Item {
	if l := p.a.store.List(); l != nil {
		return l
	}
	return []store.Item{}
}

// Notification returns one notification.
func (p *API) Notification(id string) (store.Item, error) {
	it, ok := p.a.store.Get(id)
	if !ok {
		return store.Item{}, apperr.New(apperr.NotFound, "This notification is no longer in the list", nil)
	}
	return it, nil
}

// MarkRead marks one notification read.
func (p *API) MarkRead(id string) error {
	ok, err := p.a.store.MarkRead(id)
	if err != nil {
		return apperr.New(apperr.Internal, "Cannot save the list", err)
	}
	if !ok {
		return apperr.New(apperr.NotFound, "This notification is no longer in the list", nil)
	}
	return nil
}

// Acknowledge acknowledges one alert on every device and channel (ack.go):
// sent at once when connected, else when the link is back. The alert shows
// as acknowledged once the gateway confirms (the state event).
func (p *API) Acknowledge(id string) error { return p.a.acknowledge(id) }

// MarkAllRead marks every notification read.
func (p *API) MarkAllRead() error {
	if err := p.a.store.MarkAllRead(); err != nil {
		return apperr.New(apperr.Internal, "Cannot save the list", err)
	}
	return nil
}

// Clear empties the list.
func (p *API) Clear() error {
	if err := p.a.store.Clear(); err != nil {
		return apperr.New(apperr.Internal, "Cannot save the list", err)
	}
	return nil
}

// SignIn opens the server's desktop link page in the browser; the page
// hands the token back through the keboola-analyst:// link.
func (p *API) SignIn() error {
	api := p.a.client()
	if api.Base() == "" {
		return apperr.New(apperr.BadInput, "Set the server address first", nil)
	}
	if p.a.d.Browser == nil {
		return apperr.New(apperr.Launch, "No browser available", nil)
	}
	// The one-time value comes back in the deep link: a link without it
	// was not asked for by this app, and is not applied without asking.
	u := api.Base() + protocol.PathDesktopLink + "?" + protocol.LinkStateParam + "=" + p.a.newLinkState()
	if err := p.a.d.Browser(u); err != nil {
		return apperr.New(apperr.Launch, "Cannot open the browser", err)
	}
	return nil
}

// ConfirmSignIn applies the sign-in link waiting for confirmation.
func (p *API) ConfirmSignIn() error {
	p.a.mu.Lock()
	pl := p.a.pending
	p.a.mu.Unlock()
	if pl == nil {
		return apperr.New(apperr.NotFound, "No sign-in is waiting", nil)
	}
	slog.Info("sign-in link confirmed by the user", slog.String("user", pl.link.Username()))
	return p.a.signIn(pl.link)
}

// CancelSignIn drops the sign-in link waiting for confirmation. (It
// returns an error, always nil, like every bound method: Wails' browser IPC
// in dev builds never answers a call to a method without results.)
func (p *API) CancelSignIn() error {
	p.a.mu.Lock()
	pl := p.a.pending
	p.a.pending = nil
	p.a.mu.Unlock()
	if pl != nil {
		slog.Info("sign-in link declined by the user", slog.String("user", pl.link.Username()))
	}
	p.a.emitState()
	return nil
}

// SignOut deletes the token and disconnects.
func (p *API) SignOut() error {
	return p.a.session.SignOut(auth.ReasonSignedOut)
}

// SetServer saves a new server address and reconnects to it.
func (p *API) SetServer(raw string) (State, error) {
	if p.a.cfg.ServerURL != "" {
		return p.a.State(), apperr.New(apperr.BadInput, "The server is set by "+config.EnvServerURL, nil)
	}
	s, err := config.ServerURL(raw)
	if err != nil {
		return p.a.State(), apperr.New(apperr.BadInput, err.Error(), nil)
	}
	if err := settings.Save(p.a.settings, settings.Settings{ServerURL: s}); err != nil {
		return p.a.State(), apperr.New(apperr.Internal, "Cannot save the settings", err)
	}
	p.a.setServer(s)
	slog.Info("server changed", slog.String("server", s))
	p.a.conn.Kick()
	p.a.kickUpdate()
	p.a.emitState()
	return p.a.State(), nil
}

// Scripts lists the user's notification scripts.
func (p *API) Scripts() ([]protocol.ScriptInfo, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(p.a.context(), callTimeout)
	defer cancel()
	list, err := p.a.client().Scripts(ctx, tok)
	return list, p.refused(err)
}

// RunScript runs a script on the server; its result arrives as a notification.
func (p *API) RunScript(name string) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(p.a.context(), 2*time.Minute) // scripts get 60 s
	defer cancel()
	return p.refused(p.a.client().RunScript(ctx, tok, name))
}

// RunAgain runs the script that produced a notification.
func (p *API) RunAgain(id string) error {
	it, err := p.Notification(id)
	if err != nil {
		return err
	}
	if it.Script == "" {
		return apperr.New(apperr.NotFound, "This notification names no script", nil)
	}
	list, err := p.Scripts()
	if err != nil {
		return err
	}
	for _, s := range list {
		if s.Stem == it.Script || s.Name == it.Script {
			return p.RunScript(s.Name)
		}
	}
	return apperr.New(apperr.NotFound, "The script is no longer on the server", nil)
}

// OpenInClaude opens a terminal with Claude Code about a notification.
func (p *API) OpenInClaude(id string) error {
	it, err := p.Notification(id)
	if err != nil {
		return err
	}
	_, err = p.a.d.Opener.OpenInClaude(opener.Alert{ID: it.ID, Title: it.Title, Message: it.Message,
		Script: it.Script, Time: firstNonEmpty(it.Timestamp, it.ReceivedAt.Format(time.RFC3339)), ImageURL: it.ImageURL})
	return err
}

func (p *API) token() (string, error) {
	tok := p.a.session.Token()
	if tok == "" {
		return "", apperr.New(apperr.SignedOut, "Sign in first", nil)
	}
	return tok, nil
}

// refused: the server refused the token. Like the gateway's auth_error,
// that leads to a refresh, and a refused refresh signs out.
func (p *API) refused(err error) error {
	if apperr.CodeOf(err) == apperr.AuthRefused {
		ctx, cancel := context.WithTimeout(p.a.context(), callTimeout)
		defer cancel()
		if rerr := p.a.session.Refresh(ctx, p.a.client()); rerr == nil {
			return apperr.New(apperr.AuthRefused, "The sign-in was renewed; try again", err)
		}
	}
	return err
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

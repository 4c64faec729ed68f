package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"log/slog"
	"strings"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/desktop/auth"
)

type pendingLink struct {
	link      auth.Link
	requested bool
}

// HandleDeepLink takes a keboola-analyst:// sign-in link (macOS OnUrlOpen,
// launch arguments, a second instance's arguments). Any web page can open
// such a link, so it is applied only when it is safe:
//
//   - the link is read strictly and its token checked by the server
//     (auth.Session.Verify); a refused one changes nothing;
//   - it signs in at once only if it carries the one-time value of this
//     app's own Sign in, and is for the signed-in account or none;
//   - otherwise (another account, or no or a wrong value: a seed portal, an
//     app restarted meanwhile, a forged link) the window asks the user, and
//     nothing changes until the user confirms (API.ConfirmSignIn).
//
// It is called off the UI thread: it waits for the server.
func (a *App) HandleDeepLink(raw string) error {
	link, err := a.session.ReadLink(raw, a.cfg.Scheme)
	if err == nil {
		ctx, cancel := context.WithTimeout(a.context(), callTimeout)
		link, err = a.session.Verify(ctx, a.client(), link)
		cancel()
	}
	if err != nil {
		slog.Warn("sign-in link refused", slog.Any("error", err))
		if !a.session.Account().SignedIn {
			a.mu.Lock()
			a.notice = apperr.Format(err).(apperr.Public).Message
			a.mu.Unlock()
			a.emitState()
			a.emit(EventOpen, Open{View: "signin"})
		}
		return err
	}
	requested := a.takeLinkState(link.State)
	cur := a.session.Account()
	if requested && (!cur.SignedIn || cur.Username == link.Username()) {
		return a.signIn(link)
	}
	a.mu.Lock()
	a.pending = &pendingLink{link: link, requested: requested}
	a.mu.Unlock()
	slog.Info("sign-in link waits for the user's confirmation", slog.String("user", link.Username()),
		slog.String("current", cur.Username), slog.Bool("requested", requested))
	a.d.UI.Show()
	a.emitState()
	return nil
}

func (a *App) signIn(link auth.Link) error {
	a.mu.Lock()
	a.pending = nil
	a.mu.Unlock()
	acc, err := a.session.SignIn(link)
	if err != nil {
		slog.Error("sign-in failed", slog.Any("error", err))
		a.emitState()
		return err
	}
	slog.Info("signed in", slog.String("user", acc.Username))
	a.d.UI.Show()
	a.emit(EventOpen, Open{View: "list"})
	return nil
}

// newLinkState makes the one-time value of a Sign in.
func (a *App) newLinkState() string {
	v := rand.Text() // 26 base32 characters: 130 random bits
	a.mu.Lock()
	a.linkState, a.linkStateAt = v, a.d.Clock.Now()
	a.mu.Unlock()
	return v
}

// takeLinkState says whether v is the value of this app's last Sign in,
// still fresh; a match uses it up.
func (a *App) takeLinkState(v string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v == "" || a.linkState == "" || a.d.Clock.Since(a.linkStateAt) > LinkStateTTL ||
		subtle.ConstantTimeCompare([]byte(v), []byte(a.linkState)) != 1 {
		return false
	}
	a.linkState = ""
	return true
}

// HandleArgs looks for a sign-in link among launch arguments.
func (a *App) HandleArgs(args []string) {
	for _, arg := range args {
		if strings.HasPrefix(strings.ToLower(arg), strings.ToLower(a.cfg.Scheme)+":") {
			a.HandleDeepLink(arg)
		}
	}
}

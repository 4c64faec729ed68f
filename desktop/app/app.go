// Package app ties the desktop services together: the session (token),
// the link to the gateway, the notification store, native notifications,
// the tray badge, the webapp API and "Open in Claude Code". It knows
// nothing of Wails: the window, the tray and the OS notifications reach it
// through the small interfaces below, so it is tested with real services
// and a real gateway without a GUI. API is what the page may call.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/keboola/analyst-alerts/desktop/auth"
	"github.com/keboola/analyst-alerts/desktop/config"
	"github.com/keboola/analyst-alerts/desktop/connection"
	"github.com/keboola/analyst-alerts/desktop/images"
	"github.com/keboola/analyst-alerts/desktop/opener"
	"github.com/keboola/analyst-alerts/desktop/settings"
	"github.com/keboola/analyst-alerts/desktop/store"
	"github.com/keboola/analyst-alerts/desktop/webapi"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Notifier shows native notifications (the Wails runtime in the app).
type Notifier interface {
	Notify(id, title, body string) error
}

// UI is the window: events to the page, showing it.
type UI interface {
	Emit(event string, data any)
	Show()
}

// Badge is the tray icon's unread badge.
type Badge interface {
	SetUnread(n int)
}

// Browser opens a web page (sign-in) in the user's browser.
type Browser func(url string) error

// Events sent to the page.
const (
	EventState         = "state"         // State changed
	EventNotifications = "notifications" // the list changed
	EventOpen          = "open"          // show a view: Open
)

// SummaryID is the id of the "N alerts while you were away" notification.
const SummaryID = "summary"

// CoalesceAbove: a resume that brings more new alerts than this shows one
// summary instead of a banner each.
const CoalesceAbove = 3

// Open asks the page to show a view.
type Open struct {
	View string `json:"view"` // list, detail, scripts, settings
	ID   string `json:"id,omitempty"`
}

// State is what the page shows in its header and settings.
type State struct {
	Connection    connection.Status `json:"connection"`
	Account       auth.Account      `json:"account"`
	Server        string            `json:"server"`
	ServerFromEnv bool              `json:"server_from_env"`
	Gateway       string            `json:"gateway"` // the WebSocket address the link uses; "" without a server
	GatewayEnv    bool              `json:"gateway_from_env"`
	Unread        int               `json:"unread"`
	Notice        string            `json:"notice,omitempty"` // e.g. "Signed out — sign in again"
	// NoTray says why no tray icon can show on this desktop ("" when one
	// can); the window then stays shown and says how to get one.
	NoTray string `json:"no_tray,omitempty"`
	// PendingSignIn: a sign-in link that waits for the user's yes (another
	// account, or a link this app did not ask for); nothing changed yet.
	PendingSignIn *PendingSignIn `json:"pending_sign_in,omitempty"`
	// Version is this app's version ("" in a development build); Update a
	// newer one the portal offers (Settings: "Version X is available").
	Version string  `json:"version,omitempty"`
	Update  *Update `json:"update,omitempty"`
}

// PendingSignIn describes a sign-in link waiting for confirmation.
type PendingSignIn struct {
	Username  string `json:"username"`          // the account of the link (checked by the server)
	Current   string `json:"current,omitempty"` // the account signed in now, if any
	Requested bool   `json:"requested"`         // the link carries the value of this app's Sign in
}

// LinkStateTTL is how long the one-time value of a Sign in stays good.
const LinkStateTTL = 30 * time.Minute

// Deps are the outside pieces; zero values get real defaults where there
// are any.
type Deps struct {
	Config   config.Config
	Keychain auth.Keychain
	Clock    clockwork.Clock
	Notifier Notifier
	UI       UI
	Badge    Badge
	Browser  Browser
	HTTP     *http.Client
	Opener   *opener.Launcher
	Conn     connection.Options // overrides for tests (clock, heartbeat)
	// Version is this build's version (wails.json's productVersion, x.y.z);
	// "" (a development build) checks for no newer one.
	Version string
}

// App is the running desktop app.
type App struct {
	d        Deps
	cfg      config.Config
	store    *store.Store
	session  *auth.Session
	conn     *connection.Conn
	images   *images.Cache
	settings string // path of settings.json

	mu sync.Mutex
	// linkState is the one-time value of the last Sign in (sent to the
	// portal, expected back in the deep link), made at linkStateAt.
	linkState   string
	linkStateAt time.Time
	pending     *pendingLink
	server      string
	api         *webapi.Client
	notice      string
	noTray      string
	update      *Update       // a newer version the portal offers
	updateKick  chan struct{} // check for a newer version now
	ctx         context.Context
	cancel      context.CancelFunc
	wg          sync.WaitGroup

	// shownMu orders emitState: the state it reads, logs (shownConn: the
	// connection state logged last) and shows on the tray and the page,
	// so the last shown is the latest.
	shownMu   sync.Mutex
	shownConn connection.Status
}

// New opens the store and settings and loads the token; nothing runs
// until Start.
func New(d Deps) (*App, error) {
	if d.Clock == nil {
		d.Clock = clockwork.NewRealClock()
	}
	if d.Keychain == nil {
		d.Keychain = auth.OSKeychain{Service: d.Config.KeyringService}
	}
	if d.Opener == nil {
		d.Opener = &opener.Launcher{Terminal: d.Config.Terminal, Claude: d.Config.ClaudeCommand,
			Dir: filepath.Join(d.Config.CacheDir, "prompts")}
	}
	a := &App{d: d, cfg: d.Config, settings: filepath.Join(d.Config.ConfigDir, "settings.json"),
		images:     &images.Cache{Dir: filepath.Join(d.Config.CacheDir, "images")},
		updateKick: make(chan struct{}, 1)}
	st, err := store.Open(filepath.Join(d.Config.ConfigDir, "notifications.json"))
	if err != nil {
		return nil, err
	}
	a.store = st
	server := d.Config.ServerURL
	if server == "" {
		s, err := settings.Load(a.settings)
		if err != nil {
			slog.Warn("settings unreadable; starting without a server", slog.Any("error", err))
		}
		if v, err := config.ServerURL(s.ServerURL); err == nil {
			server = v
		}
	}
	a.setServer(server)
	a.session = auth.NewSession(d.Keychain, d.Clock)
	if err := a.session.Load(); err != nil {
		slog.Error("cannot read the keychain", slog.Any("error", err))
	}
	co := d.Conn
	co.URL = a.wsURL
	co.Token = a.session.Token
	co.Cursor = a.store.Cursor
	co.OnNotifications = a.onNotifications
	co.OnAcked = a.onAcked
	co.OnStatus = func(connection.Status) { a.emitState() }
	co.OnAuthError = a.onAuthError
	if co.Clock == nil {
		co.Clock = d.Clock
	}
	a.conn = connection.New(co)
	// Acknowledgements given before the last quit that the gateway never
	// confirmed go out with the first link.
	pending, err := st.PendingAcks()
	if err != nil {
		slog.Warn("cannot save the pending acknowledgements", slog.Any("error", err))
	}
	for _, id := range pending {
		a.conn.Ack(id)
	}
	a.session.OnChange(a.onSession)
	st.OnChange(func() {
		a.emit(EventNotifications, nil)
		a.emitState()
	})
	return a, nil
}

// Start runs the link and the token refresher until Stop.
func (a *App) Start() {
	a.mu.Lock()
	a.ctx, a.cancel = context.WithCancel(context.Background())
	ctx := a.ctx
	a.mu.Unlock()
	a.wg.Add(3)
	go func() { defer a.wg.Done(); a.conn.Run(ctx) }()
	go func() { defer a.wg.Done(); a.runUpdateCheck(ctx) }()
	go func() {
		defer a.wg.Done()
		a.session.RunRefresher(ctx, func() auth.Refresher { return a.client() })
	}()
	a.conn.Kick()
	a.emitState()
}

// Stop ends everything Start began.
func (a *App) Stop() {
	a.mu.Lock()
	cancel := a.cancel
	a.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	a.wg.Wait()
}

// API is the page's view of the app.
func (a *App) API() *API { return &API{a: a} }

// Store gives tests and the tray the store.
func (a *App) Store() *store.Store { return a.store }

// Status is the link's status.
func (a *App) Status() connection.Status { return a.conn.Status() }

// HandleNotificationClick opens what a clicked native notification is about.
func (a *App) HandleNotificationClick(id string) {
	a.d.UI.Show()
	if id == SummaryID || id == "" {
		a.emit(EventOpen, Open{View: "list"})
		return
	}
	a.emit(EventOpen, Open{View: "detail", ID: id})
}

// NoTray is called at start when the desktop shows no tray icons (why):
// with no icon to click, the window is the app, so it is shown at once and
// says how to get a tray icon.
func (a *App) NoTray(why string) {
	a.mu.Lock()
	a.noTray = why
	a.mu.Unlock()
	slog.Warn("no tray icon on this desktop; showing the window", slog.String("why", why))
	a.d.UI.Show()
	a.emitState()
}

// ShowView shows the window (tray click, menu), with view if not "".
func (a *App) ShowView(view string) {
	a.d.UI.Show()
	if view != "" {
		a.emit(EventOpen, Open{View: view})
	}
}

func (a *App) onNotifications(frames []protocol.NotificationFrame, replayed bool) {
	now := a.d.Clock.Now()
	items := make([]store.Item, 0, len(frames))
	for _, f := range frames {
		items = append(items, store.FromFrame(f, now))
	}
	added, err := a.store.Add(items...)
	if err != nil {
		slog.Error("cannot save notifications", slog.Any("error", err))
	}
	// Alerts of the user's quiet hours are listed (and counted unread)
	// but get no banner, so no sound: the gateway marks them silent.
	added = slices.DeleteFunc(added, func(it store.Item) bool { return it.Silent })
	if len(added) == 0 || a.d.Notifier == nil {
		return
	}
	if replayed && len(added) > CoalesceAbove {
		a.notify(SummaryID, fmt.Sprintf("%d alerts while you were away", len(added)), "Open the list to see them.")
		return
	}
	for _, it := range added {
		title := it.Title
		if strings.TrimSpace(title) == "" {
			title = "Alert"
		}
		a.notify(it.ID, title, clip(it.Message, 280))
	}
}

func (a *App) notify(id, title, body string) {
	if err := a.d.Notifier.Notify(id, clip(title, 120), body); err != nil {
		slog.Warn("native notification failed", slog.Any("error", err))
	}
}

// onAuthError: the gateway refused the token. Try a refresh: a refused
// refresh signs out (the session change kicks the link); a new token
// reconnects; a server that cannot be reached is tried again later.
func (a *App) onAuthError(msg string) {
	go func() {
		err := a.session.Refresh(a.context(), a.client())
		if !a.session.Account().SignedIn {
			return // refused (Refresh signed out) or signed out meanwhile: the session change kicked the link
		}
		if err != nil {
			slog.Warn("refresh after auth error failed", slog.Any("error", err))
		}
		a.conn.Kick()
	}()
}

func (a *App) onSession(c auth.Change) {
	a.mu.Lock()
	switch c.Reason {
	case auth.ReasonRefused:
		a.notice = "Signed out — sign in again"
	case auth.ReasonSignedIn, auth.ReasonSignedOut:
		a.notice = ""
	}
	a.mu.Unlock()
	if c.Reason != auth.ReasonRefreshed && c.Reason != auth.ReasonLoaded {
		a.dropAcks() // they belong to the session that ended
	}
	if c.Reason != auth.ReasonRefreshed {
		a.conn.Kick()
	}
	a.emitState()
}

// State is the page's header state.
func (a *App) State() State {
	a.mu.Lock()
	server, notice, noTray := a.server, a.notice, a.noTray
	a.mu.Unlock()
	st := a.conn.Status()
	acc := a.session.Account()
	if !acc.SignedIn {
		st = connection.Status{State: connection.SignedOut}
	} else if st.State == "" || st.State == connection.SignedOut {
		st = connection.Status{State: connection.Connecting} // the link has not caught up yet
	}
	a.mu.Lock()
	update := a.update
	var pending *PendingSignIn
	if p := a.pending; p != nil {
		pending = &PendingSignIn{Username: p.link.Username(), Requested: p.requested}
		if acc.SignedIn {
			pending.Current = acc.Username
		}
	}
	a.mu.Unlock()
	return State{Connection: st, Account: acc, Server: server, ServerFromEnv: a.cfg.ServerURL != "",
		Gateway: a.wsURL(), GatewayEnv: a.cfg.WSURL != "",
		Unread: a.store.Unread(), Notice: notice, NoTray: noTray, PendingSignIn: pending,
		Version: a.d.Version, Update: update}
}

func (a *App) emitState() {
	// One at a time, from the read of the state to the tray and the page:
	// two emits racing could otherwise show the older state last (the
	// badge of a new alert set after its acknowledgement had cleared it).
	a.shownMu.Lock()
	defer a.shownMu.Unlock()
	s := a.State()
	a.logConnection(s.Connection)
	if a.d.Badge != nil {
		a.d.Badge.SetUnread(s.Unread)
	}
	a.emit(EventState, s)
}

// logConnection logs the page's connection state when it changes (its
// state, or the end of the replay after connecting), so what the page
// shows can be followed from outside: the desktop e2e tests wait for
// connected with catching_up false before they dispatch. Called under
// shownMu.
func (a *App) logConnection(c connection.Status) {
	if c.State == a.shownConn.State && c.CatchingUp == a.shownConn.CatchingUp {
		return
	}
	a.shownConn = c
	slog.Info("page connection state", slog.String("state", string(c.State)), slog.Bool("catching_up", c.CatchingUp))
}

func (a *App) emit(ev string, data any) {
	if a.d.UI != nil {
		a.d.UI.Emit(ev, data)
	}
}

func (a *App) setServer(s string) {
	a.mu.Lock()
	a.server = s
	a.api = webapi.New(s, a.d.HTTP)
	a.mu.Unlock()
}

func (a *App) client() *webapi.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.api
}

func (a *App) context() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

func (a *App) wsURL() string {
	if a.cfg.WSURL != "" {
		return a.cfg.WSURL
	}
	a.mu.Lock()
	server := a.server
	a.mu.Unlock()
	u, err := config.WSURLFor(server)
	if err != nil {
		return "" // no server yet: the link says so
	}
	return u
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

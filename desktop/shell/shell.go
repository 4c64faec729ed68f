// Package shell adapts the Wails runtime to the app's small interfaces:
// the window (events to the page, show near the tray), native
// notifications, the browser, quitting. It holds the Wails context, which
// exists only once Wails has started; calls before that are kept or dropped
// as each method says.
package shell

import (
	"context"
	"errors"
	"log/slog"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/keboola/analyst-alerts/desktop/popover"
)

// Shell is safe for concurrent use.
type Shell struct {
	mu      sync.Mutex
	ctx     context.Context
	native  nativeNotifications // set at Started
	notify  bool                // notifications can be sent (permission answered, or init failed)
	pending [][3]string         // notifications sent before that
	show    bool                // Show called before the page was ready
	ready   bool                // DomReady has run: Show may show
	asked   sync.Once           // the permission request, from the first DomReady

	// newNative makes the notification runtime for Wails' context; nil is
	// Wails' own (a test stands in one whose permission prompt blocks).
	newNative func(context.Context) nativeNotifications
}

// Started records the Wails context and sets up native notifications
// (OnStartup). onResponse gets a clicked notification's id and the action
// pressed (ActionAcknowledge, or Wails' default action for a click on the
// body): first the clicks the app's own delegate kept during the launch
// (macOS: NotificationDelegateAtLaunch, as Apple requires the delegate
// before the launch finishes; OnStartup runs beside it), then those Wails
// reports. Wails' handler is set before its delegate is (Initialize), so
// no click finds Wails' delegate without a handler.
func (s *Shell) Started(ctx context.Context, onResponse func(id, action string)) {
	setAccessory() // macOS: no Dock icon (Wails forces the Regular policy at launch)
	n := nativeNotifications(wailsNotifications{ctx})
	if s.newNative != nil {
		n = s.newNative(ctx)
	}
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	n.OnResponse(func(r runtime.NotificationResult) {
		if r.Error != nil {
			slog.Warn("notification response", slog.Any("error", r.Error))
			return
		}
		onResponse(r.Response.ID, r.Response.ActionIdentifier)
	})
	launchClicks.deliverTo(onResponse)
	if err := n.Initialize(); err != nil {
		slog.Warn("native notifications unavailable", slog.Any("error", err))
		n = nil
	} else if err := n.RegisterCategory(runtime.NotificationCategory{ID: alertCategory,
		Actions: []runtime.NotificationAction{{ID: ActionAcknowledge, Title: "Acknowledge"}}}); err != nil {
		// The Acknowledge action, where the OS shows actions (macOS, Linux
		// notification daemons with actions, Windows); elsewhere the
		// notification is sent without it.
		slog.Warn("notification actions unavailable", slog.Any("error", err))
	}
	s.mu.Lock()
	s.native = n
	s.mu.Unlock()
}

// DomReady shows the window if asked before, and asks for permission to
// notify, off this goroutine: Wails runs OnDomReady on the goroutine that
// takes the window's messages (quit, close, drag), and on macOS the
// question waits for the user's answer (up to 180 s), so the first launch
// would stall behind the prompt. Notifications sent meanwhile are kept and
// sent once the user has answered.
func (s *Shell) DomReady(ctx context.Context) {
	s.mu.Lock()
	show := s.show
	s.show, s.ready = false, true
	s.mu.Unlock()
	if show {
		s.Show()
	}
	s.asked.Do(func() { go s.askPermission() })
}

func (s *Shell) askPermission() {
	s.mu.Lock()
	n := s.native
	s.mu.Unlock()
	if n != nil {
		if granted, err := n.Authorize(); err != nil || !granted {
			slog.Warn("notifications not allowed by the user", slog.Any("error", err))
		}
	}
	s.mu.Lock()
	s.notify = true
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, p := range pending {
		if err := s.Notify(p[0], p[1], p[2]); err != nil {
			slog.Warn("cannot show a notification", slog.Any("error", err))
		}
	}
}

// Shutdown releases the notification service (OnShutdown).
func (s *Shell) Shutdown(ctx context.Context) {
	s.mu.Lock()
	n := s.native
	s.mu.Unlock()
	if n != nil {
		n.Cleanup()
	}
}

func (s *Shell) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// Notify shows a native notification; until the user has answered the
// permission prompt it is kept.
func (s *Shell) Notify(id, title, body string) error {
	s.mu.Lock()
	if !s.notify {
		s.pending = append(s.pending, [3]string{id, title, body})
		s.mu.Unlock()
		return nil
	}
	n := s.native
	s.mu.Unlock()
	if n == nil {
		return errNoNotifications
	}
	title, body = platformText(title, body) // untrusted text, shown as text (notifytext.go)
	if id == summaryID {
		return n.Send(runtime.NotificationOptions{ID: id, Title: title, Body: body}, false)
	}
	return n.Send(runtime.NotificationOptions{ID: id, Title: title, Body: body, CategoryID: alertCategory}, true)
}

var errNoNotifications = errors.New("native notifications are unavailable")

// The native notification's Acknowledge action (app.ActionAcknowledge),
// on every alert but the "while you were away" summary (app.SummaryID).
const (
	ActionAcknowledge = "ack"
	alertCategory     = "alert"
	summaryID         = "summary"
)

// Withdraw takes back the native notification of alert id (acknowledged
// on some device), where the OS allows; an error is only logged.
func (s *Shell) Withdraw(id string) {
	s.mu.Lock()
	ready, n := s.notify, s.native
	s.mu.Unlock()
	if !ready || n == nil {
		return
	}
	if err := n.Remove(id); err != nil {
		slog.Debug("cannot withdraw a notification", slog.String("id", id), slog.Any("error", err))
	}
}

// Emit sends an event to the page; before startup it is dropped (the page
// reads the whole state when it loads).
func (s *Shell) Emit(event string, data any) {
	if ctx := s.context(); ctx != nil {
		runtime.EventsEmit(ctx, event, data)
	}
}

// Show places the popover near the tray (on macOS under the icon just
// clicked) and shows it. Before the page is ready (DomReady) it is only
// noted, and DomReady shows it: a tray click right at launch (the tray
// starts in OnStartup) was once lost under load with a window manager, the
// early show undone while Wails finished starting its hidden window.
func (s *Shell) Show() {
	s.mu.Lock()
	ctx, ready := s.ctx, s.ready
	if ctx == nil || !ready {
		s.show = true
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	// macOS: under the clicked menu-bar icon (place_darwin.go); elsewhere
	// where the platform puts its tray.
	var x, y, screens int
	if !placeAtStatusItem() {
		x, y, screens = trayPlace(ctx)
	}
	// Windows moves a hidden window; GTK only a shown one (moveShown).
	moveAfter := screens > 0 && goruntime.GOOS == "linux"
	if screens > 0 && !moveAfter {
		runtime.WindowSetPosition(ctx, x, y)
	}
	runtime.WindowShow(ctx)
	runtime.WindowUnminimise(ctx)
	if moveAfter {
		moveShown(ctx, x, y, screens == 1)
	}
}

// trayPlace is the popover's place near the tray on the screen the window
// is on, and the number of screens (0: none known, no place).
func trayPlace(ctx context.Context) (x, y, screens int) {
	all, err := runtime.ScreenGetAll(ctx)
	if err != nil || len(all) == 0 {
		return 0, 0, 0
	}
	sc := all[0]
	for _, s := range all {
		if s.IsCurrent {
			sc = s
		}
	}
	x, y = popover.Position(goruntime.GOOS, sc.Size.Width, sc.Size.Height)
	return x, y, len(all)
}

// moveShown moves the window, once shown, to x, y (Linux). GTK maps a
// hidden window where it last was, whatever it was asked while hidden: at
// first centred, where Wails puts it at launch. A move made as the window
// was being mapped was lost now and then (seen in CI: the popover stayed
// centred). Wails applies a call on the GTK main loop a turn later, and a
// move one more turn later; WindowGetPosition waits for a turn. On one
// screen the position read back is in the same coordinates, so the move is
// checked and made again if the window manager did not make it yet (up to
// 5 times in 200 ms). The popover is at its place from the second opening
// on; the first shows it centred for a moment.
func moveShown(ctx context.Context, x, y int, check bool) {
	runtime.WindowGetPosition(ctx) // the show is applied
	for try := 1; ; try++ {
		runtime.WindowSetPosition(ctx, x, y)
		runtime.WindowGetPosition(ctx) // the move is queued
		gx, gy := runtime.WindowGetPosition(ctx)
		if !check || gx == x && gy == y {
			return
		}
		if try == 5 {
			slog.Warn("the popover did not move to its place near the tray", slog.Int("x", gx), slog.Int("y", gy),
				slog.Int("want_x", x), slog.Int("want_y", y))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// OpenURL opens a page in the user's browser.
func (s *Shell) OpenURL(url string) error {
	ctx := s.context()
	if ctx == nil {
		return context.Canceled
	}
	runtime.BrowserOpenURL(ctx, url)
	return nil
}

// Quit ends the app.
func (s *Shell) Quit() {
	if ctx := s.context(); ctx != nil {
		runtime.Quit(ctx)
	}
}

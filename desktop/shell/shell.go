// Package shell adapts the Wails runtime to the app's small interfaces:
// the window (events to the page, show near the tray), native
// notifications, the browser, quitting. It holds the Wails context, which
// exists only once Wails has started; calls before that are kept or dropped
// as each method says.
package shell

import (
	"context"
	"log/slog"
	goruntime "runtime"
	"sync"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/keboola/analyst-alerts/desktop/popover"
)

// Shell is safe for concurrent use.
type Shell struct {
	mu      sync.Mutex
	ctx     context.Context
	notify  bool        // notifications initialised
	pending [][3]string // notifications sent before they could be shown
	show    bool        // Show called before startup
}

// Started records the Wails context (OnStartup).
func (s *Shell) Started(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	setAccessory() // macOS: no Dock icon (Wails forces the Regular policy at launch)
}

// DomReady initialises native notifications (they need the running page)
// and sends what arrived before, and shows the window if asked before.
// onResponse gets a clicked notification's id and the action pressed
// (ActionAcknowledge, or Wails' default action for a click on the body).
func (s *Shell) DomReady(ctx context.Context, onResponse func(id, action string)) {
	if err := runtime.InitializeNotifications(ctx); err != nil {
		slog.Warn("native notifications unavailable", slog.Any("error", err))
	} else {
		// macOS asks the user once; Linux and Windows always answer yes.
		if ok, err := runtime.CheckNotificationAuthorization(ctx); err == nil && !ok {
			if granted, err := runtime.RequestNotificationAuthorization(ctx); err != nil || !granted {
				slog.Warn("notifications not allowed by the user", slog.Any("error", err))
			}
		}
		// The Acknowledge action, where the OS shows actions (macOS, Linux
		// notification daemons with actions, Windows); elsewhere the
		// notification is sent without it.
		if err := runtime.RegisterNotificationCategory(ctx, runtime.NotificationCategory{ID: alertCategory,
			Actions: []runtime.NotificationAction{{ID: ActionAcknowledge, Title: "Acknowledge"}}}); err != nil {
			slog.Warn("notification actions unavailable", slog.Any("error", err))
		}
		runtime.OnNotificationResponse(ctx, func(r runtime.NotificationResult) {
			if r.Error != nil {
				slog.Warn("notification response", slog.Any("error", r.Error))
				return
			}
			onResponse(r.Response.ID, r.Response.ActionIdentifier)
		})
	}
	s.mu.Lock()
	s.notify = true
	pending, show := s.pending, s.show
	s.pending, s.show = nil, false
	s.mu.Unlock()
	for _, p := range pending {
		s.Notify(p[0], p[1], p[2])
	}
	if show {
		s.Show()
	}
}

// Shutdown releases the notification service (OnShutdown).
func (s *Shell) Shutdown(ctx context.Context) {
	runtime.CleanupNotifications(ctx)
}

func (s *Shell) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// Notify shows a native notification; before the page is ready it is kept.
func (s *Shell) Notify(id, title, body string) error {
	s.mu.Lock()
	if !s.notify {
		s.pending = append(s.pending, [3]string{id, title, body})
		s.mu.Unlock()
		return nil
	}
	ctx := s.ctx
	s.mu.Unlock()
	title, body = platformText(title, body) // untrusted text, shown as text (notifytext.go)
	if id == summaryID {
		return runtime.SendNotification(ctx, runtime.NotificationOptions{ID: id, Title: title, Body: body})
	}
	return runtime.SendNotificationWithActions(ctx, runtime.NotificationOptions{ID: id, Title: title, Body: body,
		CategoryID: alertCategory})
}

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
	ready, ctx := s.notify, s.ctx
	s.mu.Unlock()
	if !ready {
		return
	}
	if err := runtime.RemoveNotification(ctx, id); err != nil {
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

// Show places the popover near the tray and shows it. Before the page is
// ready (DomReady) it is only noted, and DomReady shows it: a tray click
// right at launch (the tray starts in OnStartup) was once lost under load
// with a window manager, the early show undone while Wails finished
// starting its hidden window.
func (s *Shell) Show() {
	s.mu.Lock()
	ctx, ready := s.ctx, s.notify
	if ctx == nil || !ready {
		s.show = true
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if screens, err := runtime.ScreenGetAll(ctx); err == nil && len(screens) > 0 {
		sc := screens[0]
		for _, x := range screens {
			if x.IsCurrent {
				sc = x
			}
		}
		x, y := popover.Position(goruntime.GOOS, sc.Size.Width, sc.Size.Height)
		runtime.WindowSetPosition(ctx, x, y)
	}
	runtime.WindowShow(ctx)
	runtime.WindowUnminimise(ctx)
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

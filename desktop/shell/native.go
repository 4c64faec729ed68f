package shell

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// nativeNotifications is the Wails notification runtime the shell uses,
// behind an interface so a test can stand in a permission prompt that
// does not answer (shell_test.go).
type nativeNotifications interface {
	Initialize() error
	// Authorize asks the user once (macOS; Linux and Windows always answer
	// yes). It blocks until the user answers the prompt: up to 180 s
	// in Wails.
	Authorize() (bool, error)
	RegisterCategory(runtime.NotificationCategory) error
	OnResponse(func(runtime.NotificationResult))
	Send(o runtime.NotificationOptions, withActions bool) error
	Remove(id string) error
	Cleanup()
}

type wailsNotifications struct{ ctx context.Context }

func (w wailsNotifications) Initialize() error { return runtime.InitializeNotifications(w.ctx) }

func (w wailsNotifications) Authorize() (bool, error) {
	if ok, err := runtime.CheckNotificationAuthorization(w.ctx); err != nil || ok {
		return ok, err
	}
	return runtime.RequestNotificationAuthorization(w.ctx)
}

func (w wailsNotifications) RegisterCategory(c runtime.NotificationCategory) error {
	return runtime.RegisterNotificationCategory(w.ctx, c)
}

func (w wailsNotifications) OnResponse(f func(runtime.NotificationResult)) {
	runtime.OnNotificationResponse(w.ctx, f)
}

func (w wailsNotifications) Send(o runtime.NotificationOptions, withActions bool) error {
	if withActions {
		return runtime.SendNotificationWithActions(w.ctx, o)
	}
	return runtime.SendNotification(w.ctx, o)
}

func (w wailsNotifications) Remove(id string) error { return runtime.RemoveNotification(w.ctx, id) }

func (w wailsNotifications) Cleanup() { runtime.CleanupNotifications(w.ctx) }

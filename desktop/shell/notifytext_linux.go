package shell

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

var (
	markupOnce sync.Once
	markupOn   bool
)

// platformText: a server that advertises body-markup gets the body escaped.
// The capabilities are asked once per run (the same call GNOME's and KDE's
// own clients make); when they cannot be read the body is escaped anyway:
// an "&amp;" shown by a plain server is better than markup run by one that
// reads it.
func platformText(title, body string) (string, string) {
	markupOnce.Do(func() { markupOn = serverReadsMarkup() })
	if markupOn {
		body = escapeMarkup(body)
	}
	return title, body
}

func serverReadsMarkup() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		slog.Warn("notification server capabilities unknown; escaping bodies", slog.Any("error", err))
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var caps []string
	err = conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").
		CallWithContext(ctx, "org.freedesktop.Notifications.GetCapabilities", 0).Store(&caps)
	if err != nil {
		slog.Warn("notification server capabilities unknown; escaping bodies", slog.Any("error", err))
		return true
	}
	return slices.Contains(caps, "body-markup")
}

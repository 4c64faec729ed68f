package tray

import (
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/desktop/internal/dbusstandin"
)

// GNOME without the AppIndicator extension, or a bare X server, has no
// StatusNotifier watcher: the tray icon can never show, and the app must
// know it to show its window instead.
func TestHostMissingWithoutAWatcher(t *testing.T) {
	connect := dbusstandin.Bus(t)
	app := connect()
	if why := hostMissing(app); !strings.Contains(why, "no StatusNotifier watcher") {
		t.Errorf("bare session: %q; want no watcher", why)
	}
	if _, err := dbusstandin.StartWatcher(connect()); err != nil {
		t.Fatal(err)
	}
	if why := hostMissing(app); why != "" {
		t.Errorf("with a watcher and a host: %q; want none missing", why)
	}
}

package tray

import "github.com/godbus/dbus/v5"

const watcher = "org.kde.StatusNotifierWatcher"

// HostMissing says why no tray icon can show on this desktop, or "" when
// one can: a StatusNotifier watcher must own its name on the session bus
// and a host (the panel that draws the icons) must have registered with
// it. GNOME without the AppIndicator extension and a bare X server have
// neither; systray then only logs, and the icon never appears.
func HostMissing() string {
	conn, err := dbus.SessionBus()
	if err != nil {
		return "there is no D-Bus session bus"
	}
	return hostMissing(conn)
}

func hostMissing(conn *dbus.Conn) string {
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcher).Store(&owned); err != nil || !owned {
		return "no StatusNotifier watcher runs on this desktop"
	}
	v, err := conn.Object(watcher, "/StatusNotifierWatcher").GetProperty(watcher + ".IsStatusNotifierHostRegistered")
	if err != nil {
		return "the StatusNotifier watcher does not answer"
	}
	if ok, _ := v.Value().(bool); !ok {
		return "no panel shows StatusNotifier icons on this desktop"
	}
	return ""
}

// Package dbusstandin provides faithful stand-ins, on a private session
// bus, for the two desktop services the app talks to on Linux: the tray
// host (org.kde.StatusNotifierWatcher, which fyne.io/systray registers its
// item with) and the notification server (org.freedesktop.Notifications,
// which the Wails runtime sends native notifications to). The end-to-end
// test and the benchmark use them to see what a real desktop would show,
// and to click.
package dbusstandin

import (
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// Item is a registered tray item.
type Item struct {
	Sender string // unique bus name of the app
	Path   dbus.ObjectPath
	At     time.Time
}

// Watcher is the StatusNotifierWatcher stand-in.
type Watcher struct {
	conn  *dbus.Conn
	mu    sync.Mutex
	items []Item
	ch    chan Item
}

const watcherIface = "org.kde.StatusNotifierWatcher"

// StartWatcher owns org.kde.StatusNotifierWatcher on conn.
func StartWatcher(conn *dbus.Conn) (*Watcher, error) {
	w := &Watcher{conn: conn, ch: make(chan Item, 16)}
	if err := conn.Export(w, "/StatusNotifierWatcher", watcherIface); err != nil {
		return nil, err
	}
	props := prop.Map{watcherIface: {
		"IsStatusNotifierHostRegistered": {Value: true},
		"ProtocolVersion":                {Value: int32(0)},
		"RegisteredStatusNotifierItems":  {Value: []string{}},
	}}
	if _, err := prop.Export(conn, "/StatusNotifierWatcher", props); err != nil {
		return nil, err
	}
	conn.Export(introspect.Introspectable(`<node><interface name="`+watcherIface+`">
<method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
<method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
</interface></node>`), "/StatusNotifierWatcher", "org.freedesktop.DBus.Introspectable")
	if err := own(conn, watcherIface); err != nil {
		return nil, err
	}
	return w, nil
}

// RegisterStatusNotifierItem is called by the app's tray.
func (w *Watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	it := Item{Sender: string(sender), Path: dbus.ObjectPath(service), At: time.Now()}
	if service == "" || service[0] != '/' {
		it.Path = "/StatusNotifierItem"
	}
	w.mu.Lock()
	w.items = append(w.items, it)
	w.mu.Unlock()
	select {
	case w.ch <- it:
	default:
	}
	w.conn.Emit("/StatusNotifierWatcher", watcherIface+".StatusNotifierItemRegistered", string(sender)+string(it.Path))
	return nil
}

// Stop gives up the watcher's name: the session then has no tray, as
// GNOME without the AppIndicator extension or a bare X server.
func (w *Watcher) Stop() error {
	_, err := w.conn.ReleaseName(watcherIface)
	return err
}

// RegisterStatusNotifierHost is part of the interface; nothing to do.
func (w *Watcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// Next waits for the next registration.
func (w *Watcher) Next(timeout time.Duration) (Item, error) {
	select {
	case it := <-w.ch:
		return it, nil
	case <-time.After(timeout):
		return Item{}, fmt.Errorf("no tray item registered within %v", timeout)
	}
}

// Properties reads the item's StatusNotifierItem properties.
func (w *Watcher) Properties(it Item) (map[string]dbus.Variant, error) {
	var out map[string]dbus.Variant
	err := w.conn.Object(it.Sender, it.Path).Call("org.freedesktop.DBus.Properties.GetAll", 0,
		"org.kde.StatusNotifierItem").Store(&out)
	return out, err
}

// MenuLabels reads the item's menu (com.canonical.dbusmenu) top-level labels.
func (w *Watcher) MenuLabels(it Item, menu dbus.ObjectPath) ([]string, error) {
	var rev uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	err := w.conn.Object(it.Sender, menu).Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).
		Store(&rev, &layout)
	if err != nil {
		return nil, err
	}
	var labels []string
	for _, c := range layout.Children {
		child, ok := c.Value().([]any)
		if !ok || len(child) < 2 {
			continue
		}
		props, _ := child[1].(map[string]dbus.Variant)
		if l, ok := props["label"]; ok {
			labels = append(labels, l.Value().(string))
		}
	}
	return labels, nil
}

// Activate clicks the tray icon.
func (w *Watcher) Activate(it Item) error {
	return w.conn.Object(it.Sender, it.Path).Call("org.kde.StatusNotifierItem.Activate", 0, int32(0), int32(0)).Err
}

// Note is one notification the app sent.
type Note struct {
	ID      uint32
	App     string
	Summary string
	Body    string
	Actions []string
	Hints   map[string]dbus.Variant
	At      time.Time
}

// Notifications is the org.freedesktop.Notifications stand-in.
type Notifications struct {
	conn   *dbus.Conn
	mu     sync.Mutex
	next   uint32
	notes  []Note
	ch     chan Note
	closed []uint32 // CloseNotification's ids, in order
}

const notifIface = "org.freedesktop.Notifications"
const notifPath = "/org/freedesktop/Notifications"

// StartNotifications owns org.freedesktop.Notifications on conn.
func StartNotifications(conn *dbus.Conn) (*Notifications, error) {
	n := &Notifications{conn: conn, ch: make(chan Note, 256)}
	if err := conn.Export(n, notifPath, notifIface); err != nil {
		return nil, err
	}
	if err := own(conn, notifIface); err != nil {
		return nil, err
	}
	return n, nil
}

// Notify is the notification spec's Notify.
func (n *Notifications) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.mu.Lock()
	n.next++
	note := Note{ID: n.next, App: app, Summary: summary, Body: body, Actions: actions, Hints: hints, At: time.Now()}
	n.notes = append(n.notes, note)
	n.mu.Unlock()
	select {
	case n.ch <- note:
	default:
	}
	return note.ID, nil
}

// GetCapabilities is the spec's capability list: body-markup included, as
// GNOME's and KDE's servers advertise it (they render <b>, <a>, <img> in
// bodies), so a client must escape what it does not mean as markup.
func (n *Notifications) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body", "body-markup", "actions"}, nil
}

// GetServerInformation names the stand-in.
func (n *Notifications) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "analyst-standin", "keboola", "1.0", "1.2", nil
}

// CloseNotification records the id (an app taking back its banner).
func (n *Notifications) CloseNotification(id uint32) *dbus.Error {
	n.mu.Lock()
	n.closed = append(n.closed, id)
	n.mu.Unlock()
	return nil
}

// Closed says whether the app closed notification id.
func (n *Notifications) Closed(id uint32) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.closed {
		if c == id {
			return true
		}
	}
	return false
}

// Invoke emits ActionInvoked(id, action), as a desktop does when the user
// presses one of the notification's action buttons.
func (n *Notifications) Invoke(id uint32, action string) error {
	return n.conn.Emit(notifPath, notifIface+".ActionInvoked", id, action)
}

// Next waits for the next notification.
func (n *Notifications) Next(timeout time.Duration) (Note, error) {
	select {
	case note := <-n.ch:
		return note, nil
	case <-time.After(timeout):
		return Note{}, fmt.Errorf("no notification within %v", timeout)
	}
}

// All returns every notification so far.
func (n *Notifications) All() []Note {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Note(nil), n.notes...)
}

// Click emits ActionInvoked(id, "default"), as a desktop does when the
// user clicks a notification.
func (n *Notifications) Click(id uint32) error {
	return n.conn.Emit(notifPath, notifIface+".ActionInvoked", id, "default")
}

func own(conn *dbus.Conn, name string) error {
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil {
		return err
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s is already owned on this bus", name)
	}
	return nil
}

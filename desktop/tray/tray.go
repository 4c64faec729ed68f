// Package tray is the tray / menu-bar icon (fyne.io/systray, which runs
// beside Wails: Wails v2 has no tray of its own). The icon is a bell, with a
// red dot while there are unread alerts; the menu has Open, Settings and
// Quit; a click on the icon opens the popover.
package tray

import (
	"embed"
	"fmt"
	"sync"

	"fyne.io/systray"
)

//go:embed icons
var icons embed.FS

func icon(name string) []byte {
	b, err := icons.ReadFile("icons/" + name)
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return b
}

// Options are the tray's title and what its menu does.
type Options struct {
	Title      string
	OnOpen     func()
	OnSettings func()
	OnQuit     func()
}

// Tray is safe for concurrent use; SetUnread before the tray is ready is
// remembered and applied when it is.
type Tray struct {
	o      Options
	mu     sync.Mutex
	ready  bool
	unread int
	shown  int // what the icon shows now; -1 before the first update
}

// New returns a tray; call Start's start function to show it.
func New(o Options) *Tray { return &Tray{o: o, shown: -1} }

// Start registers the tray with systray's external loop. On macOS call
// start from main before wails.Run (the status item must be made on the
// main thread); on Linux and Windows from OnStartup. end removes it.
func (t *Tray) Start() (start, end func()) {
	return systray.RunWithExternalLoop(t.onReady, func() {})
}

func (t *Tray) onReady() {
	setTitle(t.o.Title)
	systray.SetOnTapped(t.tapped)
	open := systray.AddMenuItem("Open", "Show the alerts")
	settings := systray.AddMenuItem("Settings", "Connection and account")
	systray.AddSeparator()
	quit := systray.AddMenuItem("Quit", "Quit Analyst Alerts")
	go func() {
		for {
			select {
			case <-open.ClickedCh:
				t.o.OnOpen()
			case <-settings.ClickedCh:
				t.o.OnSettings()
			case <-quit.ClickedCh:
				t.o.OnQuit()
			}
		}
	}()
	t.mu.Lock()
	t.ready = true
	t.applyLocked()
	t.mu.Unlock()
}

// SetUnread shows the unread count: the badged icon and a tooltip.
func (t *Tray) SetUnread(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unread = n
	if t.ready {
		t.applyLocked()
	}
}

func (t *Tray) applyLocked() {
	if t.shown == t.unread {
		return
	}
	badged := t.unread > 0
	if t.shown < 0 || (t.shown > 0) != badged {
		setIcon(badged)
	}
	t.shown = t.unread
	tip := t.o.Title
	if t.unread > 0 {
		tip = fmt.Sprintf("%s: %d unread", t.o.Title, t.unread)
	}
	systray.SetTooltip(tip)
}

package e2e

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/desktop/popover"
)

// TestPopoverWithAWindowManager checks what a person sees of the window, on
// a display with a real window manager (Openbox, started by
// scripts/desktop-session.sh), not only the page inside it: a click on the
// tray shows the popover at its place near the tray (top right) with
// keyboard focus; Escape hides it; activating another window hides it (hide
// on blur); the tray brings it back, focused again.
func TestPopoverWithAWindowManager(t *testing.T) {
	h := setup(t)
	if wm := windowManager(); wm == "" {
		t.Fatal("no window manager on the display: run under scripts/desktop-session.sh, which starts Openbox")
	} else {
		t.Logf("window manager: %s", wm)
	}
	t.Cleanup(func() {
		if t.Failed() { // what the display held, to see what went wrong
			tree, _ := exec.Command("xwininfo", "-root", "-tree").Output()
			active, _ := exec.Command("xprop", "-root", "_NET_ACTIVE_WINDOW").Output()
			t.Logf("windows:\n%s\n%s", tree, active)
		}
	})
	keychain.Delete() // signed out: the popover shows the sign-in view
	app := h.start("app-wm")
	defer h.stop(app)
	item, err := h.watcher.Next(60 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if windowViewable() {
		t.Fatal("the popover must start hidden")
	}

	show := func(why string) string {
		t.Helper()
		if err := h.watcher.Activate(item); err != nil {
			t.Fatal(err)
		}
		h.waitFor("the popover ("+why+")", 15*time.Second, windowViewable)
		id := appWindow()
		// Focus: the window manager made the popover the active window, so
		// the keyboard (Escape) and blur work.
		h.waitFor("the popover to have focus ("+why+")", 10*time.Second, func() bool { return activeWindow() == id })
		return id
	}

	// 1. Shown near the tray, at the size and place popover.Position says
	// for this screen, focused.
	id := show("first click")
	sw, sh := geometry(t, "-root")
	wantX, wantY := popover.Position("linux", sw, sh)
	h.waitFor("the popover at its place", 10*time.Second, func() bool {
		x, y, w, hh := windowGeometry(t, id)
		return x == wantX && y == wantY && w == popover.Width && hh == popover.Height
	})
	h.waitPainted("desktop-wm-popover.png")

	// 2. Escape (pressed on the keyboard: to the focused window) hides it.
	// XTEST, to the focused window, as a keyboard does (GTK ignores a key
	// sent to a window with XSendEvent).
	if out, err := exec.Command("xdotool", "key", "Escape").CombinedOutput(); err != nil {
		t.Fatalf("xdotool key: %v %s", err, out)
	}
	h.waitFor("Escape to hide the popover", 10*time.Second, func() bool { return !windowViewable() })

	// 3. Another window taking focus hides it (blur), as clicking elsewhere does.
	id = show("second click")
	other := exec.Command("xlogo", "-geometry", "200x200+100+100")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	var xlogo string
	h.waitFor("the other window", 10*time.Second, func() bool { xlogo = namedWindow("xlogo"); return xlogo != "" })
	if out, err := exec.Command("xdotool", "windowactivate", "--sync", xlogo).CombinedOutput(); err != nil {
		t.Fatalf("xdotool windowactivate: %v %s", err, out)
	}
	h.waitFor("blur to hide the popover", 10*time.Second, func() bool { return !windowViewable() })
	h.screenshot("desktop-wm-blurred.png")

	// 4. The tray brings it back over the other window, focused, in its place.
	id = show("after blur")
	if x, y, _, _ := windowGeometry(t, id); x != wantX || y != wantY {
		t.Fatalf("the popover came back at %d,%d, want %d,%d", x, y, wantX, wantY)
	}
}

// windowManager names the window manager running on the display ("" for none),
// from the EWMH check window it must set on the root window.
func windowManager() string {
	out, err := exec.Command("xprop", "-root", "_NET_SUPPORTING_WM_CHECK").Output()
	if err != nil {
		return ""
	}
	m := regexp.MustCompile(`window id # (0x[0-9a-f]+)`).FindStringSubmatch(string(out))
	if m == nil {
		return ""
	}
	name, _ := exec.Command("xprop", "-id", m[1], "_NET_WM_NAME").Output()
	if _, v, ok := strings.Cut(string(name), "= "); ok {
		return strings.Trim(strings.TrimSpace(v), `"`)
	}
	return m[1]
}

// appWindow is the app's viewable top-level (client) window id, or "".
func appWindow() string { return namedWindow("Analyst Alerts") }

func namedWindow(name string) string {
	ids, _ := windowsNamed(name)
	for _, id := range ids {
		if info, _ := exec.Command("xwininfo", "-id", id).Output(); strings.Contains(string(info), "IsViewable") {
			return id
		}
	}
	return ""
}

// windowsNamed lists the windows named name on the display, mapped or not.
func windowsNamed(name string) ([]string, error) {
	out, err := exec.Command("xwininfo", "-root", "-tree").Output()
	if err != nil {
		return nil, err
	}
	var ids []string
	re := regexp.MustCompile(`(0x[0-9a-f]+) "` + regexp.QuoteMeta(name) + `"`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		ids = append(ids, m[1])
	}
	return ids, nil
}

// activeWindow is the window the window manager says has focus.
func activeWindow() string {
	out, err := exec.Command("xprop", "-root", "_NET_ACTIVE_WINDOW").Output()
	if err != nil {
		return ""
	}
	m := regexp.MustCompile(`window id # (0x[0-9a-f]+)`).FindStringSubmatch(string(out))
	if m == nil {
		return ""
	}
	// xprop prints 0x3a00003, xwininfo 0x3a00003: the same form.
	return m[1]
}

// windowGeometry is a window's place on the screen and size.
func windowGeometry(t *testing.T, id string) (x, y, w, h int) {
	out, err := exec.Command("xwininfo", "-id", id).Output()
	if err != nil {
		return -1, -1, -1, -1
	}
	return field(out, "Absolute upper-left X"), field(out, "Absolute upper-left Y"), field(out, "Width"), field(out, "Height")
}

// geometry is the root window's size.
func geometry(t *testing.T, arg string) (w, h int) {
	t.Helper()
	out, err := exec.Command("xwininfo", arg).Output()
	if err != nil {
		t.Fatal(err)
	}
	return field(out, "Width"), field(out, "Height")
}

func field(xwininfo []byte, name string) int {
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `:\s*(-?\d+)`).FindSubmatch(xwininfo)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

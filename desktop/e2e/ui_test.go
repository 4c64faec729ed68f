package e2e

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// TestDesktopUIInBrowser drives the real popover UI with headless Chromium:
// a `-tags dev` build serves the page and its live Go bindings over HTTP
// (the native window opens too, under Xvfb). The browser steps are in
// frontend/e2e/ui-e2e.mjs; this test runs the app signed in (the sign-in
// link given at first launch, as Linux and Windows do) with one hostile
// alert dispatched through the real gateway, and checks what the UI's
// actions did on the servers' side.
func TestDesktopUIInBrowser(t *testing.T) {
	dev, root := os.Getenv("ANALYST_E2E_DEV_APP"), os.Getenv("ANALYST_ROOT")
	if dev == "" || root == "" {
		t.Skip("set ANALYST_E2E_DEV_APP and ANALYST_ROOT (scripts/test.d/30-desktop.sh does)")
	}
	h := setup(t)
	h.bin, h.dir = dev, root
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	// "Open in Claude Code" starts this terminal stand-in, which records the
	// arguments it was given, one per line.
	argvFile := filepath.Join(t.TempDir(), "argv.txt")
	term := filepath.Join(t.TempDir(), "terminal")
	os.WriteFile(term, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > "+argvFile+"\n"), 0o700)
	// The browser: an xdg-open stand-in first in PATH records the page the
	// app opens.
	bin := t.TempDir()
	opened := filepath.Join(t.TempDir(), "opened.txt")
	os.WriteFile(filepath.Join(bin, "xdg-open"), []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> "+opened+"\n"), 0o700)
	h.env = append(h.env, "devserver="+addr, "ANALYST_TERMINAL="+term, "PATH="+bin+":"+os.Getenv("PATH"))
	keychain.Delete() // signed out
	t.Cleanup(func() { keychain.Delete() })

	// Sign in, the proper flow: Sign in opens the portal with the app's
	// one-time value; the portal's link carries it back (the second launch,
	// as the browser does); the app signs in without asking.
	app := h.start("ui-app")
	h.waitFor("the dev server", 60*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	phase := func(name string) {
		t.Helper()
		node := exec.Command("node", "e2e/signin-e2e.mjs")
		node.Dir = filepath.Join(root, "frontend")
		node.Env = append(os.Environ(), "UI_URL=http://"+addr+"/", "ARTIFACTS="+h.artifacts, "PHASE="+name)
		out, err := node.CombinedOutput()
		t.Logf("browser (%s):\n%s", name, out)
		if err != nil {
			t.Fatalf("browser phase %s failed: %v", name, err)
		}
	}
	phase("sign-in")
	var page *url.URL
	h.waitFor("Sign in to open the portal in the browser", 15*time.Second, func() bool {
		b, _ := os.ReadFile(opened)
		page, _ = url.Parse(strings.TrimSpace(string(b)))
		return page != nil && page.Path == protocol.PathDesktopLink
	})
	state := page.Query().Get(protocol.LinkStateParam)
	if !protocol.ValidLinkState(state) || len(state) < 22 {
		t.Fatalf("the portal address carries no proper one-time value: %s", page)
	}
	h.launchSecond("ui-second", protocol.DeepLinkWithState("", h.gw.Token(t, "petr"), state))
	h.waitFor("the app to sign in and connect", 30*time.Second, func() bool { return h.connections("petr") == 1 })
	if h.logHas("ui-app", "waits for the user's confirmation") || keychainUser(t) != "petr" {
		t.Fatal("the proper flow asked for confirmation, or stored another account")
	}

	// A link for another account that this app did not ask for: the window
	// asks; the user declines; nothing changed.
	h.launchSecond("ui-second-anna", protocol.DeepLink("", h.gw.Token(t, "anna")))
	h.waitFor("the link for anna to wait", 15*time.Second,
		func() bool { return h.logHas("ui-app", "waits for the user's confirmation", `"user":"anna"`) })
	phase("decline")
	if h.connections("petr") != 1 || h.connections("anna") != 0 || keychainUser(t) != "petr" || !h.logHas("ui-app", "declined by the user") {
		t.Fatal("declining changed the account")
	}
	h.waitLive("ui-app")
	c := h.gw.Client()
	defer c.Close()
	if _, err := c.Dispatch(context.Background(), "petr", protocol.Notification{ID: "ui-1",
		Title: "Revenue drop <img src=x onerror=alert(1)>", Message: "Revenue fell 32%.\nTop market: CZ",
		Script: "revenue_check", ImageURL: "/api/notifications/images/chart.png"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.notes.Next(15 * time.Second); err != nil {
		t.Fatal(err)
	}

	node := exec.Command("node", "e2e/ui-e2e.mjs")
	node.Dir = filepath.Join(root, "frontend")
	node.Env = append(os.Environ(), "UI_URL=http://"+addr+"/", "ARTIFACTS="+h.artifacts, "UI_UPDATE="+h.update)
	out, err := node.CombinedOutput()
	t.Logf("browser:\n%s", out)
	if err != nil {
		t.Fatalf("browser steps failed: %v", err)
	}
	// Acknowledge in the popover reached the gateway, as the desktop.
	if st, err := c.Notification(context.Background(), "petr", "ui-1"); err != nil || !st.Acked() || *st.AckedVia != protocol.ViaDesktop {
		t.Fatalf("the popover's Acknowledge: %+v %v", st, err)
	}
	// "Open in Claude Code": the terminal got claude and a prompt naming a
	// file; the alert's hostile title is in that file, not in the arguments.
	b, err := os.ReadFile(argvFile)
	if err != nil {
		t.Fatalf("the terminal was not started: %v", err)
	}
	argv := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(argv) != 3 || argv[0] != "-e" || argv[1] != "claude" || strings.Contains(argv[2], "<img") {
		t.Fatalf("terminal argv %q", argv)
	}
	path := strings.TrimSuffix(strings.TrimPrefix(argv[2], "Read the alert in "), " and help me investigate what caused it.")
	prompt, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(prompt), "Revenue drop <img src=x onerror=alert(1)>") {
		t.Fatalf("prompt file %s: %v %s", path, err, prompt)
	}
	// Download in Settings opened the newer version's package on the portal.
	if b, _ := os.ReadFile(opened); !strings.Contains(string(b), h.updateURL+"\n") {
		t.Fatalf("Download did not open %s; the browser got:\n%s", h.updateURL, b)
	}
	// Sign out in the UI closed the link.
	h.waitFor("sign-out to disconnect", 10*time.Second, func() bool { return h.connections("petr") == 0 })
	// Run again and Run: two script results came back as native notifications.
	h.waitFor("the script results as native notifications", 10*time.Second, func() bool { return len(h.notes.All()) >= 3 })
	h.stop(app)
}

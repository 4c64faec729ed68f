package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/desktop/app"
	"github.com/keboola/analyst-alerts/desktop/auth"
	"github.com/keboola/analyst-alerts/desktop/config"
	"github.com/keboola/analyst-alerts/desktop/connection"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// quiet stands in for the second device's window, tray badge and
// notification center.
type quiet struct{}

func (quiet) Notify(string, string, string) error { return nil }
func (quiet) Emit(string, any)                    {}
func (quiet) Show()                               {}
func (quiet) SetUnread(int)                       {}

// TestAcknowledgeSyncsBetweenDevices: the built app, under Xvfb, and a
// second device of the same user with its own home (the app's service,
// in this process: one session bus holds one instance of the app).
// Acknowledge on the real app's native notification (its action) marks the
// alert done on the other device; Acknowledge on the other device clears
// the real app's badge and takes back its banner.
func TestAcknowledgeSyncsBetweenDevices(t *testing.T) {
	h := setup(t)
	if err := keychain.Set(h.gw.Token(t, "petr")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keychain.Delete() })
	h.start("ack-app")
	item, err := h.watcher.Next(60 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	icon, plain := h.trayIcon(item)
	h.waitFor("the app to connect", 30*time.Second, func() bool { return h.connections("petr") == 1 })

	// The second device: its own home and keychain entry.
	home := t.TempDir()
	cfg, err := config.FromEnviron([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"), config.EnvServerURL + "=" + h.webURL,
		config.EnvWSURL + "=" + h.gw.WSURL, config.EnvKeyringName + "=com.keboola.analyst.e2e.second"})
	if err != nil {
		t.Fatal(err)
	}
	second := auth.OSKeychain{Service: cfg.KeyringService}
	if err := second.Set(h.gw.Token(t, "petr")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Delete() })
	other, err := app.New(app.Deps{Config: cfg, Notifier: quiet{}, UI: quiet{}, Badge: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	other.Start()
	t.Cleanup(other.Stop)
	h.waitFor("the second device to connect", 30*time.Second, func() bool { return h.connections("petr") == 2 })
	// Both past the replay after auth_ok, as their pages' state says.
	h.waitLive("ack-app")
	h.waitFor("the second device's replay to be delivered", 30*time.Second, func() bool {
		s := other.State().Connection
		return s.State == connection.Connected && !s.CatchingUp
	})

	c := h.gw.Client()
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Dispatch(ctx, "petr", protocol.Notification{ID: "ack-1", Title: "Disk full", Script: "disk"}); err != nil {
		t.Fatal(err)
	}
	note, err := h.notes.Next(15 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(note.Actions, app.ActionAcknowledge); i < 0 || i+1 >= len(note.Actions) || note.Actions[i+1] != "Acknowledge" {
		t.Fatalf("the banner's actions %q, want Acknowledge", note.Actions)
	}
	h.waitFor("the badge", 10*time.Second, func() bool { return icon() != plain })

	// 1. Acknowledge on the real app's banner.
	if err := h.notes.Invoke(note.ID, app.ActionAcknowledge); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the gateway to hold the ack", 10*time.Second, func() bool {
		st, err := c.Notification(ctx, "petr", "ack-1")
		return err == nil && st.Acked() && *st.AckedVia == protocol.ViaDesktop
	})
	h.waitFor("the second device to show it done", 10*time.Second, func() bool {
		it, err := other.API().Notification("ack-1")
		return err == nil && it.AckedAt != "" && it.Read && other.State().Unread == 0
	})
	h.waitFor("the real app's badge to clear", 10*time.Second, func() bool { return icon() == plain })

	// 2. Acknowledge on the second device: the real app's badge clears and
	// its banner is taken back.
	if _, err := c.Dispatch(ctx, "petr", protocol.Notification{ID: "ack-2", Title: "CPU high"}); err != nil {
		t.Fatal(err)
	}
	note2, err := h.notes.Next(15 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the badge", 10*time.Second, func() bool { return icon() != plain })
	h.waitFor("the second device to have it", 10*time.Second, func() bool {
		_, err := other.API().Notification("ack-2")
		return err == nil
	})
	if err := other.API().Acknowledge("ack-2"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the real app's badge to clear", 10*time.Second, func() bool { return icon() == plain })
	h.waitFor("the real app to take back its banner", 10*time.Second, func() bool { return h.notes.Closed(note2.ID) })
	if !h.logHas("ack-app", "alert acknowledged", "ack-2") {
		t.Error("the real app's log does not tell of the acknowledgement")
	}
}

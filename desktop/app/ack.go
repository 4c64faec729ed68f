package app

// Acknowledging an alert (issue 14): the app sends an ack frame on its
// link; the gateway stores the acknowledgement in the user's history and
// sends every device of the user (this one too) an acked frame, which
// marks the alert done and read, drops the badge and withdraws its banner.
// So every device, this one included, shows what the gateway holds. An ack
// waits in the store until that frame comes, across a quit and restart.

import (
	"log/slog"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Withdrawer is a Notifier that can take back a native notification it
// showed (where the OS allows).
type Withdrawer interface {
	Withdraw(id string)
}

// ActionAcknowledge is the id of the native notification's Acknowledge
// action (where the OS shows actions).
const ActionAcknowledge = "ack"

func (a *App) onAcked(f protocol.AckedFrame) {
	changed, err := a.store.Ack(f)
	if err != nil {
		slog.Error("cannot save an acknowledgement", slog.Any("error", err))
	}
	if !changed {
		return
	}
	slog.Info("alert acknowledged", slog.String("id", f.ID), slog.String("via", f.Via))
	if w, ok := a.d.Notifier.(Withdrawer); ok {
		w.Withdraw(f.ID)
	}
}

// acknowledge queues the ack of one stored alert.
func (a *App) acknowledge(id string) error {
	it, ok := a.store.Get(id)
	if !ok {
		return apperr.New(apperr.NotFound, "This notification is no longer in the list", nil)
	}
	if it.AckedAt != "" {
		return nil
	}
	if !a.conn.Ack(id) {
		return apperr.New(apperr.Network, "Too many acknowledgements are waiting for the connection; try again when it is back", nil)
	}
	// Kept until the gateway's acked frame confirms it (store.Ack): an app
	// that quits before its link is back sends it after the next start.
	if err := a.store.QueueAck(id); err != nil {
		slog.Error("cannot save an acknowledgement for after a restart", slog.String("id", id), slog.Any("error", err))
	}
	return nil
}

// HandleNotificationAction handles an action pressed on a native
// notification: Acknowledge acknowledges; anything else opens the alert.
func (a *App) HandleNotificationAction(id, action string) {
	if action == ActionAcknowledge && id != SummaryID && id != "" {
		if err := a.acknowledge(id); err != nil {
			slog.Warn("acknowledge from the notification failed", slog.String("id", id), slog.Any("error", err))
		}
		return
	}
	a.HandleNotificationClick(id)
}

// dropAcks forgets the acknowledgements still waiting, in the link's queue
// and in the store: given in a session that ended (sign-out, a refused
// token, a new sign-in), they are not sent for whoever signs in next.
func (a *App) dropAcks() {
	n := a.conn.DropAcks()
	if err := a.store.DropPendingAcks(); err != nil {
		slog.Error("cannot forget the waiting acknowledgements", slog.Any("error", err))
	}
	if n > 0 {
		slog.Info("acknowledgements not sent: the session ended", slog.Int("count", n))
	}
}

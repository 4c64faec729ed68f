package notifyrunner

// Following an alert after delivery (issue 14): the runner asks the
// gateway whether the script's last alert was acknowledged, records it in
// the script's state file (for the script's next run), and, while the
// script asked for repeat_until_ack and nobody acknowledged, sends the
// alert again every interval for at most 24 hours.

import (
	"context"
	"log/slog"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// AckReader reads an alert's state from the gateway's history;
// *protocol.Client is one.
type AckReader interface {
	Notification(ctx context.Context, user, id string) (protocol.NotificationState, error)
}

// RepeatPrefix starts the title of a repeated alert where the medium has
// no field for it (Telegram); the gateway's frame carries "repeat": true.
const RepeatPrefix = "Repeat: "

// ackTimeout bounds one question to the gateway.
const ackTimeout = 5 * time.Second

// newAckState is the state of a just delivered alert: not acknowledged,
// and to be repeated when the script asked for it.
func newAckState(a Alert, every string, at time.Time) notifyscript.AckState {
	st := notifyscript.AckState{LastAlertID: a.ID}
	if every != "" {
		st.Repeat = &notifyscript.Repeat{ID: a.ID, Title: a.Title, Message: a.Message,
			ImageURL: a.ImageURL, ImagePath: a.ImagePath, Data: a.Data,
			Every: every, FirstSent: at, LastSent: at}
	}
	return st
}

// followLastAlert records the acknowledgement of the script's last alert
// and repeats that alert when due. It asks the gateway only about an alert
// not yet known to be acknowledged and at most MaxRepeatFor old, so a
// quiet script costs nothing.
func (r *Runner) followLastAlert(ctx context.Context, name string) {
	stem := notifyscript.Stem(name)
	log := r.Log.With(slog.String("script", name))
	state, err := r.Home.LoadState(stem)
	if err != nil || state.LastAlertID == "" || state.AckedAt != nil || r.Acks == nil {
		return
	}
	now := r.now()
	if state.Repeat == nil && (state.LastNotified == nil || now.Sub(*state.LastNotified) > notifyscript.MaxRepeatFor) {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, ackTimeout)
	st, err := r.Acks.Notification(qctx, r.User, state.LastAlertID)
	cancel()
	switch {
	case err == nil && st.Acked():
		at, perr := time.Parse(time.RFC3339, *st.AckedAt)
		if perr != nil {
			at = now
		}
		at = at.UTC()
		state.AckedAt, state.AckedVia, state.Repeat = &at, derefOr(st.AckedVia, ""), nil
		r.save(log, stem, state)
		log.Info("alert acknowledged", slog.String("id", state.LastAlertID), slog.String("via", state.AckedVia))
		return
	case err != nil && !protocol.IsNotFound(err):
		// The gateway is down or refused: repeat anyway (better twice than
		// never); the ack is read again next pass.
		log.Warn("cannot read the alert's acknowledgement", slog.Any("error", err))
	}
	rep := state.Repeat
	if rep == nil {
		return
	}
	due, over := rep.Due(now)
	if over {
		state.Repeat = nil
		r.save(log, stem, state)
		log.Info("alert no longer repeated: not acknowledged within "+notifyscript.FormatCooldown(notifyscript.MaxRepeatFor),
			slog.String("id", rep.ID), slog.Int("repeats", rep.Count))
		return
	}
	if !due {
		return
	}
	a := Alert{ID: rep.ID, User: r.User, Title: rep.Title, Message: rep.Message, Script: stem,
		Timestamp: now.Format(time.RFC3339), ImagePath: rep.ImagePath, ImageURL: rep.ImageURL,
		Data: rep.Data, Repeat: true}
	took := r.deliver(ctx, log, a)
	if len(took) == 0 {
		log.Error("repeat of the alert not delivered to any sink; tried again next run", slog.String("id", a.ID))
		return
	}
	rep.LastSent = now
	rep.Count++
	r.save(log, stem, state)
	log.Info("alert repeated: not acknowledged yet", slog.String("id", a.ID), slog.Int("repeat", rep.Count), slog.Any("sinks", took))
}

func derefOr(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

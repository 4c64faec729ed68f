package notifyrunner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// Defaults of FailAfter and Every; notifyconfig has the same values for
// the environment.
const (
	defaultFailAfter = 3
	defaultEvery     = 5 * time.Minute
)

func (r *Runner) failAfter() int {
	if r.FailAfter > 0 {
		return r.FailAfter
	}
	return defaultFailAfter
}

func (r *Runner) every() time.Duration {
	if r.Every > 0 {
		return r.Every
	}
	return defaultEvery
}

// recordHealth adds this pass to the script's health and raises the health
// alerts: one script_failing when the streak of passes without a good run
// reaches FailAfter, one script_overdue when the script's expect_every is
// broken, and one script_recovered at the next good run after either. A
// flag is set only when a sink took the alert, so an alert no sink took is
// tried again next pass. It returns the outcome recorded.
func (r *Runner) recordHealth(ctx context.Context, log *slog.Logger, stem string, state *notifyscript.State,
	out notifyscript.Output, res notifyscript.Result, runErr error, at time.Time) string {
	outcome, ok := notifyscript.OutcomeOf(runErr, out.Notify)
	if !ok {
		return ""
	}
	h := &state.Health
	since, told := h.FailingSince, h.FailAlerted || h.OverdueAlerted
	h.Record(outcome, res, runErr, out.ExpectEvery, at)
	if protocol.GoodOutcome(outcome) {
		if told {
			msg := stem + " works again."
			if since != nil {
				msg = fmt.Sprintf("%s works again (failing since %s).", stem, clock(*since, at))
			}
			if r.healthAlert(ctx, log, protocol.KindScriptRecovered, stem, stem+" works again", msg, at) {
				h.FailAlerted, h.OverdueAlerted = false, false
			}
		}
		return outcome
	}
	if h.FailStreak >= r.failAfter() && !h.FailAlerted {
		msg := fmt.Sprintf("%s has failed %d times since %s: %s", stem, h.FailStreak, clock(*h.FailingSince, at), h.FailReason)
		h.FailAlerted = r.healthAlert(ctx, log, protocol.KindScriptFailing, stem, stem+" is failing", msg, at)
	}
	if overdue, due := h.Overdue(at, r.every()); overdue && !h.OverdueAlerted {
		msg := fmt.Sprintf("%s promised a good run every %s and has had none since %s (due %s).",
			stem, h.ExpectEvery, clock(*h.LastGood, at), clock(due, at))
		h.OverdueAlerted = r.healthAlert(ctx, log, protocol.KindScriptOverdue, stem, stem+" is overdue", msg, at)
	}
	return outcome
}

// healthAlert delivers one of the runner's own alerts and reports whether a
// sink took it.
func (r *Runner) healthAlert(ctx context.Context, log *slog.Logger, kind, stem, title, message string, at time.Time) bool {
	a := Alert{ID: uuid.NewString(), User: r.User, Title: title, Message: message, Script: stem,
		Timestamp: at.UTC().Format(time.RFC3339), Kind: kind}
	took := r.deliver(ctx, log, a)
	if len(took) == 0 {
		log.Error("health alert not delivered to any sink; it will be tried again next run", slog.String("kind", kind))
		return false
	}
	log.Info("health alert delivered", slog.String("kind", kind), slog.String("id", a.ID), slog.Any("sinks", took))
	return true
}

// clock writes t in the runner's local time zone as an analyst reads it in
// an alert: "09:05" today, "Mar 3 09:05" another day.
func clock(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}

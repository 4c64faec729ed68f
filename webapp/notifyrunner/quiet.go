package notifyrunner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// loadSettings reads the user's snoozes and quiet hours. Unreadable
// settings are logged and read as none: an alert is never lost to a bad
// file.
func (r *Runner) loadSettings() notifyscript.Settings {
	s, err := r.Home.LoadSettings()
	if err != nil {
		r.Log.Warn("delivery settings unreadable; delivering as if none were set", slog.Any("error", err))
	}
	return s
}

// cooldownState is the state the cooldown is judged on: while snoozed the
// last held-back alert counts as sent, so "held back" counts the alerts
// that would have been delivered.
func cooldownState(s notifyscript.State, snoozed bool) notifyscript.State {
	if snoozed && s.LastHeld != nil && (s.LastNotified == nil || s.LastHeld.After(*s.LastNotified)) {
		s.LastNotified = s.LastHeld
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// snoozeSummary delivers the one alert that ends a snooze: how many alerts
// were held back. Only once it is delivered is the count cleared, so a
// summary that could not be delivered is tried again next pass.
func (r *Runner) snoozeSummary(ctx context.Context, log *slog.Logger, stem string, state *notifyscript.State, settings notifyscript.Settings) {
	now := r.now()
	n := state.HeldBack
	a := Alert{
		ID: uuid.NewString(), User: r.User, Script: stem, Timestamp: now.Format(time.RFC3339),
		Title:   plural(n, "alert", "alerts") + " held back",
		Message: fmt.Sprintf("The snooze of %s has ended. While it was snoozed it ran as usual and would have alerted %s.", stem, plural(n, "time", "times")),
		Silent:  notifyscript.InQuietHours(settings.Quiet, now),
	}
	if took := r.deliver(ctx, log, a); len(took) == 0 {
		log.Warn("snooze summary not delivered; tried again next run", slog.Int("held_back", n))
		return
	}
	log.Info("snooze ended; summary delivered", slog.String("id", a.ID), slog.Int("held_back", n))
	state.HeldBack, state.LastHeld = 0, nil
	r.save(log, stem, *state)
}

// countQuiet counts an alert delivered silently in quiet hours.
func (r *Runner) countQuiet(log *slog.Logger, at time.Time) {
	held, err := r.Home.LoadHeld()
	if err != nil {
		log.Warn("quiet-hours count unreadable; counting from here", slog.Any("error", err))
		held = notifyscript.Held{}
	}
	held.Count++
	if held.Since == nil {
		held.Since = &at
	}
	if err := r.Home.SaveHeld(held); err != nil {
		log.Error("cannot save the quiet-hours count", slog.Any("error", err))
	}
}

// quietSummary delivers, at the first pass after the quiet hours end (or
// are switched off), one alert saying how many arrived silently.
func (r *Runner) quietSummary(ctx context.Context) {
	held, err := r.Home.LoadHeld()
	if err != nil {
		r.Log.Warn("quiet-hours count unreadable; no summary", slog.Any("error", err))
		return
	}
	now := r.now()
	if held.Count == 0 || notifyscript.InQuietHours(r.loadSettings().Quiet, now) {
		return
	}
	a := Alert{
		ID: uuid.NewString(), User: r.User, Timestamp: now.Format(time.RFC3339),
		Title:   plural(held.Count, "alert", "alerts") + " during quiet hours",
		Message: fmt.Sprintf("%s arrived silently during your quiet hours; they are in your history.", plural(held.Count, "alert", "alerts")),
	}
	if took := r.deliver(ctx, r.Log, a); len(took) == 0 {
		r.Log.Warn("quiet-hours summary not delivered; tried again next run", slog.Int("count", held.Count))
		return
	}
	r.Log.Info("quiet hours ended; summary delivered", slog.String("id", a.ID), slog.Int("count", held.Count))
	if err := r.Home.SaveHeld(notifyscript.Held{}); err != nil {
		r.Log.Error("cannot save the quiet-hours count", slog.Any("error", err))
	}
}

// Package notifyrunner is one pass of notify-runner over a user's scripts:
// run each (notifyscript), apply its cooldown, publish its image
// (notifyimage), and deliver the alert to every sink in parallel. One broken
// script never stops the others.
package notifyrunner

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/keboola/analyst-alerts/webapp/notifyimage"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// DeliveryTimeout bounds one alert's delivery to all sinks.
const DeliveryTimeout = 20 * time.Second

// Status is how one script's run ended.
type Status string

// The statuses.
const (
	StatusNotified    Status = "notified"    // at least one sink took the alert
	StatusQuiet       Status = "quiet"       // the script said notify: false
	StatusCooldown    Status = "cooldown"    // an alert, held back by the cooldown
	StatusUndelivered Status = "undelivered" // no sink took it; retried next run
	StatusFailed      Status = "failed"      // the script failed (see Err)
)

// Outcome is the result of one script.
type Outcome struct {
	Script    string // file name
	Status    Status
	Err       error
	Delivered []string // names of the sinks that took the alert
	// Health is the script's outcome as its health records it
	// (protocol.Outcome*); "" when the run said nothing about it.
	Health string
}

// Runner runs a user's scripts. Fields are set once, then RunAll may be
// called repeatedly.
type Runner struct {
	Home          notifyscript.Home
	User          string
	Timeout       time.Duration
	ImagesDir     string
	MaxImageBytes int64
	ImageMaxAge   time.Duration // 0: published images are never removed
	Sinks         []Sink
	Log           *slog.Logger
	Now           func() time.Time // time.Now when nil
	// Acks reads whether an alert was acknowledged (the gateway's GET
	// /notification); nil: acknowledgements are not followed and
	// repeat_until_ack does nothing (repeat.go).
	Acks AckReader

	// skipsLogged holds the sink skips already logged in this pass (sink
	// and reason): a user with no linked chat is told once per pass, not
	// once per alert.
	skipsLogged map[string]bool
	// FailAfter is how many passes without a good run raise the
	// script_failing alert (notifyconfig.DefaultFailAfter when 0).
	FailAfter int
	// Every is the runner's interval: the grace added to a script's
	// expect_every (notifyconfig.DefaultRunnerEvery when 0).
	Every time.Duration
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// RunAll runs every script in name order and returns one Outcome each. An
// error is returned only when the scripts folder cannot be read.
func (r *Runner) RunAll(ctx context.Context) ([]Outcome, error) {
	names, skipped, err := r.Home.Scripts()
	if err != nil {
		return nil, err
	}
	for _, s := range skipped {
		r.Log.Warn("script skipped: not a regular file with a plain <name>.py name", slog.String("script", s))
	}
	r.skipsLogged = nil // a new pass
	if len(names) == 0 {
		r.Log.Info("no scripts to run", slog.String("folder", r.Home.ScriptsDir()))
	}
	out := make([]Outcome, 0, len(names))
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		o := r.RunOne(ctx, name)
		out = append(out, o)
	}
	if r.ImageMaxAge > 0 {
		if n, err := notifyimage.Prune(r.ImagesDir, r.ImageMaxAge, r.now()); err != nil {
			r.Log.Warn("cannot prune old images", slog.Any("error", err))
		} else if n > 0 {
			r.Log.Info("old images removed", slog.Int("count", n),
				// In days, as NOTIFY_IMAGE_MAX_AGE_DAYS sets it (a Duration prints 720h0m0s).
				slog.Int("older_than_days", int(r.ImageMaxAge/(24*time.Hour))))
		}
	}
	return out, nil
}

// RunOne runs one script and delivers its alert; when it delivered none,
// it follows the last alert's acknowledgement and repeats it if due
// (repeat.go).
func (r *Runner) RunOne(ctx context.Context, name string) Outcome {
	o := r.runOne(ctx, name)
	if o.Status != StatusNotified {
		r.followLastAlert(ctx, name)
	}
	return o
}

func (r *Runner) runOne(ctx context.Context, name string) Outcome {
	stem := notifyscript.Stem(name)
	log := r.Log.With(slog.String("script", name))
	o := Outcome{Script: name}

	state, serr := r.Home.LoadState(stem)
	if serr != nil {
		// Deliver rather than stay silent on a state we cannot read.
		log.Warn("state unreadable; starting it over", slog.Any("error", serr))
		state = notifyscript.State{}
	}
	out, res, err := r.Home.Run(ctx, name, notifyscript.RunOptions{Timeout: r.Timeout, User: r.User})
	ranAt := r.now()
	state.LastRun = &ranAt
	state.LastError = ""
	o.Health = r.recordHealth(ctx, log, stem, &state, out, res, err, ranAt)
	if err != nil {
		state.LastError = err.Error()
		r.save(log, stem, state)
		attrs := []any{slog.String("code", string(notifyscript.CodeOf(err))), slog.Any("error", err)}
		if len(res.Stderr) > 0 {
			attrs = append(attrs, slog.String("stderr", notifyscript.LastLine(res.Stderr)))
		}
		log.Error("script failed", attrs...)
		o.Status, o.Err = StatusFailed, err
		return o
	}
	for _, w := range out.Warnings {
		log.Warn("script output", slog.String("warning", w))
	}
	// As words ("1.309s") in any log format: slog.Duration is raw
	// nanoseconds in JSON.
	log = log.With(slog.String("took", res.Duration.Round(time.Millisecond).String()))
	if !out.Notify {
		r.save(log, stem, state)
		log.Info("nothing to report")
		o.Status = StatusQuiet
		return o
	}
	if in, until := state.InCooldown(ranAt, out.CooldownDuration()); in {
		r.save(log, stem, state)
		log.Info("alert held back by cooldown", slog.Time("until", until))
		o.Status = StatusCooldown
		return o
	}

	a := Alert{
		ID: uuid.NewString(), User: r.User, Title: out.Title, Message: out.Message,
		Script: stem, Timestamp: ranAt.Format(time.RFC3339), Data: out.Data,
	}
	var published *notifyimage.Published
	if out.ImagePath != "" {
		p, err := notifyimage.Publish(out.ImagePath, r.ImagesDir, r.MaxImageBytes)
		if err != nil {
			log.Warn("image left out; the alert goes without it", slog.Any("error", err))
		} else {
			published = &p
			a.ImagePath, a.ImageURL = p.Path, p.URL
		}
	}

	o.Delivered = r.deliver(ctx, log, a)
	if len(o.Delivered) == 0 {
		if published != nil {
			_ = os.Remove(published.Path) // nobody links to it
		}
		r.save(log, stem, state)
		log.Error("alert not delivered to any sink; it will be tried again next run", slog.String("title", a.Title))
		o.Status = StatusUndelivered
		return o
	}
	state.LastNotified = &ranAt
	state.Cooldown = out.Cooldown
	state.AckState = newAckState(a, out.RepeatUntilAck, ranAt)
	r.save(log, stem, state)
	log.Info("alert delivered", slog.String("id", a.ID), slog.String("title", a.Title),
		slog.Any("sinks", o.Delivered), slog.Bool("image", a.ImageURL != ""))
	o.Status = StatusNotified
	return o
}

// deliver sends a to every sink at once and returns the names of those that
// took it, in sink order.
func (r *Runner) deliver(ctx context.Context, log *slog.Logger, a Alert) []string {
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	errs := make([]error, len(r.Sinks))
	var wg sync.WaitGroup
	for i, s := range r.Sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Deliver(ctx, a)
		}()
	}
	wg.Wait()
	var took []string
	for i, err := range errs {
		name := r.Sinks[i].Name()
		var partial *PartialError
		switch {
		case err == nil:
			took = append(took, name)
		case errors.As(err, &partial):
			took = append(took, name)
			log.Warn("sink took the alert only in part", slog.String("sink", name), slog.Any("error", err))
		case errors.Is(err, ErrSkipped):
			if key := name + "\x00" + err.Error(); !r.skipsLogged[key] {
				if r.skipsLogged == nil {
					r.skipsLogged = map[string]bool{}
				}
				r.skipsLogged[key] = true
				r.Log.Info("sink skipped", slog.String("sink", name), slog.Any("reason", err))
			}
		default:
			log.Error("sink failed", slog.String("sink", name), slog.Any("error", err))
		}
	}
	return took
}

func (r *Runner) save(log *slog.Logger, stem string, s notifyscript.State) {
	if err := r.Home.SaveState(stem, s); err != nil {
		log.Error("cannot save state", slog.Any("error", err))
	}
}

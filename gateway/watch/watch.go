// Package watch is the dead man's switch for notify-runner: each pass of a
// user's runner reports a heartbeat (POST /heartbeat on the dispatch
// socket); when a user's heartbeats stop for SilentAfter of the intervals
// the runner announced, the user gets one runner_silent alert on both
// channels, and one runner_back when they resume.
//
// It lives in the gateway because every runner can already reach the
// dispatch socket, which knows who is calling (an analyst's uid may only
// report for itself), and because it must outlive any runner or cron:
// nothing in a runner can notice its own absence. Its state (each user's
// last heartbeat, interval and whether they were told) is a small JSON
// file in the gateway's state folder, so a restarted gateway remembers
// who was overdue and does not tell them twice.
package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// DefaultSilentAfter is how many intervals without a heartbeat make a
// runner silent.
const DefaultSilentAfter = 3

// deliveryTimeout bounds one alert's delivery to all sinks.
const deliveryTimeout = 10 * time.Second

// Alert is one of the watcher's alerts on its way to the sinks. Title and
// Message are the watcher's own text; User is the name a runner reported,
// checked by the dispatch socket's access rule.
type Alert struct {
	ID        string
	User      string
	Kind      string // protocol.KindRunnerSilent or KindRunnerBack
	Title     string
	Message   string
	Timestamp string // RFC 3339 UTC
}

// Sink is one channel the watcher's alerts go to. Send returns nil when the
// channel took the alert.
type Sink interface {
	Name() string
	Send(ctx context.Context, a Alert) error
}

// Options configure a Watcher.
type Options struct {
	// Path is the state file (created on first save).
	Path string
	// SilentAfter is how many announced intervals without a heartbeat
	// make a runner silent (DefaultSilentAfter when 0).
	SilentAfter int
	Sinks       []Sink
	Log         *slog.Logger
	Now         func() time.Time // time.Now when nil
	// Registerer gets the watcher's metrics; none when nil.
	Registerer prometheus.Registerer
}

// runner is what is remembered about one user's runner.
type runner struct {
	LastBeat time.Time `json:"last_beat"`
	Every    string    `json:"every"` // Go duration, as the runner announced it
	// Told: the runner_silent alert reached a sink and no runner_back has
	// since.
	Told bool `json:"told,omitempty"`
	// ToldAt is the last heartbeat before the silence that was told.
	ToldAt *time.Time `json:"told_at,omitempty"`
}

func (r runner) every() time.Duration {
	d, err := time.ParseDuration(r.Every)
	if err != nil || d < protocol.MinRunnerEvery {
		return protocol.MinRunnerEvery
	}
	return d
}

type stateFile struct {
	Runners map[string]*runner `json:"runners"`
}

// Watcher watches the users' runners. Safe for concurrent use.
type Watcher struct {
	opts    Options
	started time.Time // grace: the watcher could not hear heartbeats before
	m       metrics

	mu      sync.Mutex
	runners map[string]*runner
	dirty   bool
	poke    chan struct{}
}

// Open reads the state file (a missing file is an empty state; a corrupt
// one is an error: forgetting who was told would tell them again).
func Open(o Options) (*Watcher, error) {
	if o.SilentAfter <= 0 {
		o.SilentAfter = DefaultSilentAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{opts: o, runners: map[string]*runner{}, poke: make(chan struct{}, 1)}
	w.started = o.Now()
	b, err := os.ReadFile(o.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("runner watcher: read %s: %w", o.Path, err)
	default:
		var st stateFile
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("runner watcher: %s is corrupt (move it away to start over): %w", o.Path, err)
		}
		for u, r := range st.Runners {
			if r != nil {
				w.runners[u] = r
			}
		}
	}
	w.m = newMetrics(o.Registerer, w)
	return w, nil
}

// Beat records one pass of user's runner, which runs every every.
func (w *Watcher) Beat(user string, every time.Duration, outcomes map[string]int) {
	w.mu.Lock()
	r := w.runners[user]
	if r == nil {
		r = &runner{}
		w.runners[user] = r
	}
	r.LastBeat, r.Every = w.opts.Now().UTC(), every.String()
	w.dirty = true
	back := r.Told
	w.mu.Unlock()
	w.m.beats.Inc()
	for k, n := range outcomes {
		w.m.outcomes.WithLabelValues(k).Add(float64(n))
	}
	if back {
		select { // the loop says "back" now rather than at the next tick
		case w.poke <- struct{}{}:
		default:
		}
	}
}

// silentSince reports whether r is silent at now; grace applies the
// watcher's own start (it could not hear heartbeats while it was down).
func (w *Watcher) silent(r *runner, now time.Time, grace bool) bool {
	from := r.LastBeat
	if grace && w.started.After(from) {
		from = w.started
	}
	return now.Sub(from) > time.Duration(w.opts.SilentAfter)*r.every()
}

// Overdue lists the users whose runners are silent now or who were told
// and have not been heard from since, by name.
func (w *Watcher) Overdue() []protocol.OverdueRunner {
	now := w.opts.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []protocol.OverdueRunner
	for u, r := range w.runners {
		if r.Told || w.silent(r, now, true) {
			out = append(out, protocol.OverdueRunner{User: u, LastBeat: r.LastBeat.UTC().Format(time.RFC3339), Every: r.Every, Told: r.Told})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// Check raises the alerts due at this moment: runner_silent for a runner
// silent for SilentAfter intervals (counted from the watcher's start at
// the earliest) whose user was not told yet, runner_back for one that was
// told and beats again. A flag changes only when a sink took the alert,
// so an alert no sink took is tried again at the next Check. The state is
// saved when it changed.
func (w *Watcher) Check(ctx context.Context) {
	now := w.opts.Now()
	type due struct {
		user string
		r    runner
		back bool
	}
	var todo []due
	w.mu.Lock()
	for u, r := range w.runners {
		switch {
		case !r.Told && w.silent(r, now, true):
			todo = append(todo, due{u, *r, false})
		case r.Told && !w.silent(r, now, false):
			todo = append(todo, due{u, *r, true})
		}
	}
	w.mu.Unlock()
	sort.Slice(todo, func(i, j int) bool { return todo[i].user < todo[j].user })
	for _, d := range todo {
		a := w.alert(d.user, d.r, d.back, now)
		if !w.deliver(ctx, a) {
			continue
		}
		w.mu.Lock()
		if r := w.runners[d.user]; r != nil {
			if d.back {
				r.Told, r.ToldAt = false, nil
			} else if r.LastBeat.Equal(d.r.LastBeat) { // no beat meanwhile
				last := r.LastBeat
				r.Told, r.ToldAt = true, &last
			}
			w.dirty = true
		}
		w.mu.Unlock()
		// Saved at once: a restart right after must not tell them again.
		w.save()
	}
	w.save()
}

// alert builds the alert for one runner. Its ID is derived from the user,
// the kind and the heartbeat it is about, so the apps (which drop an id
// they have) see it once even if a crash between delivery and save sends
// it again.
func (w *Watcher) alert(user string, r runner, back bool, now time.Time) Alert {
	a := Alert{User: user, Timestamp: now.UTC().Format(time.RFC3339)}
	if back {
		since := r.LastBeat
		if r.ToldAt != nil {
			since = *r.ToldAt
		}
		a.Kind, a.Title = protocol.KindRunnerBack, "Alert scripts run again"
		a.Message = fmt.Sprintf("Your alert scripts run again (silent since %s).", clock(since, now))
	} else {
		a.Kind, a.Title = protocol.KindRunnerSilent, "Alert scripts stopped"
		a.Message = fmt.Sprintf("Your alert scripts have not run since %s: check cron on the server.", clock(r.LastBeat, now))
	}
	key := user + "\x00" + a.Kind + "\x00" + r.LastBeat.UTC().Format(time.RFC3339Nano)
	a.ID = uuid.NewSHA1(uuid.NameSpaceOID, []byte(key)).String()
	return a
}

// deliver sends a to every sink at once and reports whether one took it.
func (w *Watcher) deliver(ctx context.Context, a Alert) bool {
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	errs := make([]error, len(w.opts.Sinks))
	var wg sync.WaitGroup
	for i, s := range w.opts.Sinks {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Send(ctx, a) }()
	}
	wg.Wait()
	var took []string
	for i, err := range errs {
		if err == nil {
			took = append(took, w.opts.Sinks[i].Name())
		} else {
			w.opts.Log.Warn("runner watcher: sink did not take the alert", slog.String("sink", w.opts.Sinks[i].Name()),
				slog.String("user", a.User), slog.String("kind", a.Kind), slog.Any("error", err))
		}
	}
	if len(took) == 0 {
		w.opts.Log.Error("runner watcher: alert not delivered; tried again at the next check", slog.String("user", a.User), slog.String("kind", a.Kind))
		return false
	}
	w.m.alerts.WithLabelValues(a.Kind).Inc()
	w.opts.Log.Info("runner watcher: alert delivered", slog.String("user", a.User), slog.String("kind", a.Kind), slog.Any("sinks", took))
	return true
}

// Run checks every tick until ctx ends, and at once after a heartbeat of a
// user who was told; it saves the state a last time before returning.
func (w *Watcher) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.save()
			return
		case <-t.C:
		case <-w.poke:
		}
		w.Check(ctx)
	}
}

// save writes the state when it changed: a temporary file, fsynced, then
// renamed over the old one, so a crash leaves one or the other.
func (w *Watcher) save() {
	w.mu.Lock()
	if !w.dirty {
		w.mu.Unlock()
		return
	}
	b, err := json.MarshalIndent(stateFile{Runners: w.runners}, "", "  ")
	w.dirty = false
	w.mu.Unlock()
	if err == nil {
		err = writeAtomic(w.opts.Path, append(b, '\n'))
	}
	if err != nil {
		w.mu.Lock()
		w.dirty = true
		w.mu.Unlock()
		w.opts.Log.Error("runner watcher: cannot save its state", slog.String("path", w.opts.Path), slog.Any("error", err))
	}
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// clock writes t in the gateway's local time as a user reads it in an
// alert: "14:05" today, "Mar 3 14:05" another day.
func clock(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/gofrs/flock"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/logsetup"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/notifyconfig"
	"github.com/keboola/analyst-alerts/webapp/notifyrunner"
)

// Exit codes.
const (
	exitOK      = 0 // ran (even if some scripts failed: see the log)
	exitFailed  = 1 // could not run at all: configuration, log, lock, scripts folder
	exitUsage   = 2 // bad flags
	logFileName = "runner.log"
)

const usage = `Usage: notify-runner [--every DURATION]

Runs every script in ~/user/notifications (*.py, in name order, with
~/.venv/bin/python when present, else python3) for the user it runs as,
each with a timeout that kills its whole process group. A script that
prints {"notify": true, ...} and is out of its cooldown is delivered at
once to the Telegram bot socket and to the gateway; a sink whose socket is
absent is skipped. Logs go to stdout and ~/.notifications/logs/runner.log
(bounded in size).

Flags:
  --every DURATION   run again every DURATION (e.g. 30s) until stopped,
                     instead of once (cron runs it once)
  -h, --help         this text

Exit codes:
  0  ran (scripts that failed are logged, they do not fail the run; also
     when another notify-runner of this user is still running)
  1  could not run at all (configuration, log file, scripts folder)
  2  usage error

Environment: HOME, NOTIFY_USER, NOTIFY_SCRIPT_TIMEOUT_SECONDS (60),
NOTIFY_BOT_SOCKET (/run/notify-bot/bot.sock), WS_DISPATCH_SOCKET
(/run/ws-gateway/ws.sock), NOTIFICATION_IMAGES_DIR
(/data/notifications/images), NOTIFY_MAX_IMAGE_BYTES (10485760),
NOTIFY_IMAGE_MAX_AGE_DAYS (30), NOTIFY_LOG_MAX_MB (1), LOG_LEVEL (info),
NOTIFY_FAIL_ALERT_AFTER (3), NOTIFY_RUNNER_EVERY (5m, cron's interval).
See docs/notify-tools.md.
`

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("notify-runner", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	every := fs.Duration("every", 0, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		fmt.Fprintf(stderr, "notify-runner: %v (try --help)\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 || *every < 0 || (*every > 0 && *every < time.Second) {
		fmt.Fprintln(stderr, "notify-runner: takes no arguments; --every must be at least 1s (try --help)")
		return exitUsage
	}
	cfg, err := notifyconfig.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "notify-runner: %v\n", err)
		return exitFailed
	}

	if err := os.MkdirAll(cfg.Home.LogsDir(), 0o700); err != nil {
		fmt.Fprintf(stderr, "notify-runner: cannot create the log folder: %v\n", err)
		return exitFailed
	}
	// At most NOTIFY_LOG_MAX_MB in runner.log plus one rotated file.
	logFile := &notifyrunner.LogFile{Path: cfg.Home.LogsDir() + "/" + logFileName, Max: int64(cfg.LogMaxMB) << 20}
	defer logFile.Close()
	log := logsetup.New(io.MultiWriter(stdout, logFile), logsetup.Text, cfg.LogLevel).
		With(slog.String("user", cfg.User))

	bot := botclient.New(cfg.BotSocket)
	defer bot.Close()
	gw := protocol.NewClient(cfg.DispatchSocket)
	defer gw.Close()
	r := &notifyrunner.Runner{
		Home:          cfg.Home,
		User:          cfg.User,
		Timeout:       cfg.Timeout,
		ImagesDir:     cfg.ImagesDir,
		MaxImageBytes: cfg.MaxImageBytes,
		ImageMaxAge:   cfg.ImageMaxAge,
		Sinks:         []notifyrunner.Sink{notifyrunner.TelegramSink{Bot: bot}, notifyrunner.GatewaySink{Client: gw}},
		Log:           log,
		Acks:          gw,
		FailAfter:     cfg.FailAfter,
		Every:         cfg.RunnerEvery,
	}
	if *every > 0 {
		r.Every = *every // the interval this process keeps, whatever cron's is
	}
	lock := flock.New(cfg.Home.LockPath())

	for {
		if code := pass(ctx, r, lock, log, gw); code != exitOK || *every == 0 {
			return code
		}
		select {
		case <-ctx.Done():
			log.Info("notify-runner stopped")
			return exitOK
		case <-time.After(*every):
		}
	}
}

// pass is one run over all scripts, under the user's lock so that a slow
// run and the next cron start never run the same scripts twice.
// Each pass that ran, or found another runner of this user at work, sends
// a heartbeat; one that could not run sends none, so the watcher notices a
// runner that is broken as well as one that is gone.
func pass(ctx context.Context, r *notifyrunner.Runner, lock *flock.Flock, log *slog.Logger, gw *protocol.Client) int {
	ok, err := lock.TryLock()
	if err != nil {
		log.Error("cannot take the runner lock", slog.String("path", lock.Path()), slog.Any("error", err))
		return exitFailed
	}
	if !ok {
		log.Warn("another notify-runner of this user is still running; this run is skipped")
		heartbeat(ctx, gw, r.User, r.Every, nil, log)
		return exitOK
	}
	defer func() { _ = lock.Unlock() }()
	start := time.Now()
	outcomes, err := r.RunAll(ctx)
	if err != nil {
		log.Error("cannot list scripts", slog.Any("error", err))
		return exitFailed
	}
	heartbeat(ctx, gw, r.User, r.Every, outcomes, log)
	counts := map[notifyrunner.Status]int{}
	for _, o := range outcomes {
		counts[o.Status]++
	}
	log.Info("run finished", slog.Int("scripts", len(outcomes)),
		slog.Int(string(notifyrunner.StatusNotified), counts[notifyrunner.StatusNotified]),
		slog.Int(string(notifyrunner.StatusQuiet), counts[notifyrunner.StatusQuiet]),
		slog.Int(string(notifyrunner.StatusCooldown), counts[notifyrunner.StatusCooldown]),
		slog.Int(string(notifyrunner.StatusUndelivered), counts[notifyrunner.StatusUndelivered]),
		slog.Int(string(notifyrunner.StatusFailed), counts[notifyrunner.StatusFailed]),
		slog.String("took", time.Since(start).Round(time.Millisecond).String())) // words in any log format
	return exitOK
}

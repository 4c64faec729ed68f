package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strconv"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/notifyconfig"
	"github.com/keboola/analyst-alerts/webapp/notifyimage"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// Exit codes.
const (
	exitOK          = 0
	exitScriptFail  = 1 // the script ran but failed: timeout, non-zero exit, bad output
	exitUsage       = 2 // unknown command or missing argument
	exitRefused     = 3 // bad script name, or user outside the analysts' group
	exitNotFound    = 4 // no such script
	exitUnavailable = 5 // could not run at all: configuration, interpreter, disk
)

const usage = `Usage: notify-scripts COMMAND

Lists and runs the notification scripts in ~/user/notifications of the user
it runs as (start it through sudo -u USER). Prints JSON on stdout.

Commands:
  list        [{"name":"x.py","stem":"x","last_run":"5m ago"|null,
              "health":{...}}, ...]; health (after the runner's first
              pass) is the last outcome, last good run, failing streak,
              expect_every and overdue, and the last error and stderr
  run NAME    runs NAME (a plain "<name>.py") as notify-runner does, prints
              the script's JSON plus "script" and, when an image was taken,
              "image_url" (or "image_error"). Only members of the analysts'
              group (NOTIFY_ANALYST_GROUP, default dataread) may run scripts.
  status      the runner's view of each script, for "why did my alert not
              come?": [{"name","stem","last_run","last_notified",
              "cooldown","cooldown_until","last_error"}] (times RFC 3339 UTC)
  help        this text (also -h, --help)

On failure it prints {"error":"...","code":"..."} (and "stderr" for a
script that failed) and exits with:
  1  the script failed (timeout, non-zero exit, output not the JSON contract)
  2  usage error
  3  refused: bad script name, or user not in the analysts' group
  4  no such script
  5  could not run: configuration, no interpreter, unreadable folder

Environment: HOME, NOTIFY_USER, NOTIFY_SCRIPT_TIMEOUT_SECONDS (60),
NOTIFY_ANALYST_GROUP (dataread), NOTIFICATION_IMAGES_DIR
(/data/notifications/images), NOTIFY_MAX_IMAGE_BYTES (10485760).
See docs/notify-tools.md.
`

type loadFunc func([]string) (notifyconfig.Config, error)

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer, load loadFunc) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "list", "run", "status":
	default:
		return fail(stdout, exitUsage, fmt.Sprintf("unknown command %q (try --help)", args[0]), notifyscript.CodeUsage, "")
	}
	want := map[string]int{"list": 1, "run": 2, "status": 1}[args[0]]
	if len(args) != want {
		return fail(stdout, exitUsage, fmt.Sprintf("%s takes %d argument(s) (try --help)", args[0], want-1), notifyscript.CodeUsage, "")
	}
	cfg, err := load(environ)
	if err != nil {
		return fail(stdout, exitUnavailable, err.Error(), notifyscript.CodeInternal, "")
	}
	switch args[0] {
	case "list":
		return list(cfg, stdout)
	case "status":
		return status(cfg, stdout)
	}
	return runScript(ctx, cfg, args[1], stdout)
}

func list(cfg notifyconfig.Config, stdout io.Writer) int {
	names, _, err := cfg.Home.Scripts()
	if err != nil {
		return failErr(stdout, err, nil)
	}
	now := time.Now()
	out := make([]protocol.ScriptInfo, 0, len(names))
	for _, n := range names {
		info := protocol.ScriptInfo{Name: n, Stem: notifyscript.Stem(n)}
		// A corrupt state file shows as "never run" here; the runner logs it.
		if st, err := cfg.Home.LoadState(info.Stem); err == nil && st.LastRun != nil {
			ago := notifyscript.Ago(now, *st.LastRun)
			info.LastRun = &ago
			info.Health = st.Health.View(now, cfg.FailAfter, cfg.RunnerEvery)
		}
		out = append(out, info)
	}
	return printJSON(stdout, out)
}

func status(cfg notifyconfig.Config, stdout io.Writer) int {
	names, _, err := cfg.Home.Scripts()
	if err != nil {
		return failErr(stdout, err, nil)
	}
	now := time.Now()
	out := make([]notifyscript.ScriptStatus, 0, len(names))
	for _, n := range names {
		s := notifyscript.ScriptStatus{Name: n, Stem: notifyscript.Stem(n)}
		st, err := cfg.Home.LoadState(s.Stem)
		if err != nil {
			s.LastError = err.Error()
		}
		s.LastRun, s.LastNotified, s.Cooldown = st.LastRun, st.LastNotified, st.Cooldown
		if s.LastError == "" {
			s.LastError = st.LastError
		}
		// The cooldown of the last alert; the next alert is judged by its own.
		d, cerr := notifyscript.ParseCooldown(st.Cooldown)
		if cerr != nil {
			d = notifyscript.DefaultCooldown
		}
		if in, until := st.InCooldown(now, d); in {
			until = until.UTC()
			s.CooldownUntil = &until
		}
		out = append(out, s)
	}
	return printJSON(stdout, out)
}

func runScript(ctx context.Context, cfg notifyconfig.Config, name string, stdout io.Writer) int {
	// The name is checked before anything else touches the disk.
	if err := notifyscript.ValidName(name); err != nil {
		return failErr(stdout, err, nil)
	}
	if err := checkGroup(cfg.AnalystGroup); err != nil {
		return failErr(stdout, err, nil)
	}
	out, res, err := cfg.Home.Run(ctx, name, notifyscript.RunOptions{Timeout: cfg.Timeout, User: cfg.User})
	stem := notifyscript.Stem(name)
	if notifyscript.CodeOf(err) != notifyscript.CodeNotFound && notifyscript.CodeOf(err) != notifyscript.CodeBadName {
		now := time.Now().UTC()
		lastErr := ""
		if err != nil {
			lastErr = err.Error()
		}
		// A corrupt state file starts over. last_run is informative: a run
		// never fails over it.
		st, _ := cfg.Home.LoadState(stem)
		st.LastRun, st.LastError = &now, lastErr
		_ = cfg.Home.SaveState(stem, st)
	}
	if err != nil {
		return failErr(stdout, err, res.Stderr)
	}
	result := notifyscript.RunResult{Output: out, Script: stem}
	if out.Notify && out.ImagePath != "" {
		p, err := notifyimage.Publish(out.ImagePath, cfg.ImagesDir, cfg.MaxImageBytes)
		if err != nil {
			result.ImageError = err.Error()
		} else {
			result.ImageURL = p.URL
		}
	}
	return printJSON(stdout, result)
}

// checkGroup refuses a user outside the analysts' group. It looks at the
// process's own credentials (what sudo set up), not at /etc/group alone.
func checkGroup(name string) error {
	g, err := user.LookupGroup(name)
	if err != nil {
		return &notifyscript.Error{Code: notifyscript.CodeNotAllowed,
			Message: fmt.Sprintf("analysts' group %q does not exist (%s)", name, notifyconfig.EnvAnalystGroup)}
	}
	gid, _ := strconv.Atoi(g.Gid)
	groups, _ := os.Getgroups()
	if os.Getegid() == gid || os.Getgid() == gid || slices.Contains(groups, gid) {
		return nil
	}
	who := "this user"
	if u, err := user.Current(); err == nil {
		who = "user " + u.Username
	}
	return &notifyscript.Error{Code: notifyscript.CodeNotAllowed,
		Message: fmt.Sprintf("%s is not in the analysts' group %q", who, name)}
}

func exitFor(code notifyscript.Code) int {
	switch code {
	case notifyscript.CodeTimeout, notifyscript.CodeExitStatus, notifyscript.CodeBadOutput:
		return exitScriptFail
	case notifyscript.CodeBadName, notifyscript.CodeNotAllowed:
		return exitRefused
	case notifyscript.CodeNotFound:
		return exitNotFound
	}
	return exitUnavailable
}

func failErr(stdout io.Writer, err error, stderrTail []byte) int {
	code := notifyscript.CodeOf(err)
	return fail(stdout, exitFor(code), err.Error(), code, string(stderrTail))
}

func fail(stdout io.Writer, exit int, msg string, code notifyscript.Code, stderrTail string) int {
	printJSON(stdout, notifyscript.ErrorResult{Error: msg, Code: code, Stderr: stderrTail})
	return exit
}

func printJSON(w io.Writer, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(w, "{\"error\":%q,\"code\":%q}\n", err.Error(), notifyscript.CodeInternal)
		return exitUnavailable
	}
	_, _ = w.Write(append(b, '\n'))
	return exitOK
}

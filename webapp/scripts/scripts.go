// Package scripts runs the notify-scripts helper for a user: `list` and
// `run NAME`. The webapp never reads users' home folders itself (they are
// 0750): in production the helper runs as the user through
// `sudo -n -u USER HELPER ...`; in development it runs directly with HOME
// pointed at a local folder. Arguments are passed as an argv, never through
// a shell, and names are validated before any process starts.
package scripts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// ValidName checks a script name from a request with the notify tools' own
// rule (notifyscript.ValidName): a plain "<name>.py", no path.
func ValidName(name string) error { return notifyscript.ValidName(name) }

// Stem is the name without ".py".
func Stem(name string) string { return notifyscript.Stem(name) }

// Result is what `notify-scripts run` prints: the script's output plus
// "script" and, when the helper published the chart, "image_url".
type Result = notifyscript.RunResult

// Runner starts the helper.
type Runner struct {
	Helper    string // path of notify-scripts
	Sudo      bool   // run as the user through sudo; else directly with HOME=HomeRoot/USER
	HomeRoot  string
	ImagesDir string // direct mode: where the helper publishes charts (NOTIFICATION_IMAGES_DIR)
	// Env is passed on to the helper in direct (development) mode, NAME=value
	// (config.Config.HelperEnv: PATH and the helper's own settings); under
	// sudo, sudo's own environment rules apply. Without a PATH in it the
	// helper gets DefaultPath, as sudo's secure_path would give it.
	Env []string

	RunTimeout time.Duration // the script gets 60 s; the helper a little more
}

// Folder is where user's scripts are, as the dashboard tells them: in
// development the real folder in the user's development home; through sudo
// the folder in the user's own home on the server.
func (r *Runner) Folder(user string) string {
	if r.Sudo {
		return "~" + user + "/user/notifications/"
	}
	return notifyscript.Home(filepath.Join(r.HomeRoot, user)).ScriptsDir() + string(filepath.Separator)
}

// PassedEnv are the helper's own settings (docs/notify-tools.md), handed
// on to it in direct mode with PATH; nothing else of the caller's
// environment reaches a script.
var PassedEnv = []string{"NOTIFY_ANALYST_GROUP", "NOTIFY_SCRIPT_TIMEOUT_SECONDS", "NOTIFY_MAX_IMAGE_BYTES"}

// HelperEnv picks PATH and PassedEnv from env (by name, as envmap gives
// it): what a Runner's Env is in direct mode.
func HelperEnv(env map[string]string) []string {
	var out []string
	for _, k := range append([]string{"PATH"}, PassedEnv...) {
		if v, ok := env[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// DefaultPath is the helper's PATH in direct mode when Env has none.
const DefaultPath = "/usr/local/bin:/usr/bin:/bin"

// listTimeout bounds `notify-scripts list`: it only reads a folder.
const listTimeout = 15 * time.Second

// maxOutput bounds what we read from the helper.
const maxOutput = 1 << 20

// List returns user's scripts.
func (r *Runner) List(ctx context.Context, user string) ([]protocol.ScriptInfo, error) {
	out, err := r.call(ctx, listTimeout, user, "list")
	if err != nil {
		return nil, err
	}
	var list []protocol.ScriptInfo
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, apperr.New(protocol.CodeHelperFailed, http.StatusBadGateway,
			"the scripts helper printed something that is not a script list").Wrap(err)
	}
	if list == nil {
		list = []protocol.ScriptInfo{}
	}
	return list, nil
}

// Run runs one script for user and returns what it printed.
func (r *Runner) Run(ctx context.Context, user, name string) (Result, error) {
	if err := ValidName(name); err != nil {
		return Result{}, apperr.BadRequest("invalid script name: %v", err)
	}
	out, err := r.call(ctx, r.timeout(r.RunTimeout, 75*time.Second), user, "run", name)
	if err != nil {
		return Result{}, err
	}
	// The helper has checked the script's output against the contract.
	var res Result
	if err := json.Unmarshal(out, &res); err != nil {
		return Result{}, apperr.New(protocol.CodeHelperFailed, http.StatusBadGateway,
			"the scripts helper printed something that is not a run result").Wrap(err)
	}
	return res, nil
}

func (r *Runner) timeout(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (r *Runner) command(ctx context.Context, user string, args ...string) (*exec.Cmd, error) {
	if r.Sudo {
		argv := append([]string{"-n", "-u", user, "--", r.Helper}, args...)
		return exec.CommandContext(ctx, "sudo", argv...), nil
	}
	home := filepath.Join(r.HomeRoot, user)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("create development home %s: %w", home, err)
	}
	cmd := exec.CommandContext(ctx, r.Helper, args...)
	// Env first: for a name given twice the last wins, so the user's own
	// HOME, USER and the like below always do.
	cmd.Env = append([]string{"PATH=" + DefaultPath}, r.Env...)
	cmd.Env = append(cmd.Env, "HOME="+home, "USER="+user, "LOGNAME="+user, "NOTIFY_USER="+user, "LANG=C.UTF-8")
	if r.ImagesDir != "" {
		cmd.Env = append(cmd.Env, "NOTIFICATION_IMAGES_DIR="+r.ImagesDir)
	}
	cmd.Dir = home
	return cmd, nil
}

func (r *Runner) call(ctx context.Context, timeout time.Duration, user string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd, err := r.command(ctx, user, args...)
	if err != nil {
		return nil, err
	}
	var stdout, stderr limited
	stdout.max, stderr.max = maxOutput, 64<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, apperr.New(protocol.CodeScriptFailed, http.StatusGatewayTimeout,
			"the scripts helper did not finish within %s", timeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, apperr.New(protocol.CodeHelperFailed, http.StatusServiceUnavailable,
			"the scripts helper could not be started").Wrap(err)
	}
	if stdout.over {
		return nil, apperr.New(protocol.CodeHelperFailed, http.StatusBadGateway,
			"the scripts helper printed more than %d bytes", maxOutput)
	}
	if err != nil {
		// A non-zero exit is a result: the helper says what went wrong as
		// {"error","code","stderr"} on stdout.
		if e, ok := helperError(stdout.Bytes()); ok {
			return nil, e.Wrap(err)
		}
		msg := fmt.Sprintf("the scripts helper failed (exit status %d)", exit.ExitCode())
		if s := strings.TrimSpace(lastLine(stderr.String())); s != "" {
			msg += ": " + s
		}
		return nil, apperr.New(protocol.CodeHelperFailed, http.StatusBadGateway, "%s", msg).Wrap(err)
	}
	return stdout.Bytes(), nil
}

// helperError turns the helper's error object into our error: its message
// (with the last line the script wrote to stderr, if any) and a status that
// fits its code.
func helperError(b []byte) (*apperr.Error, bool) {
	var e notifyscript.ErrorResult
	if json.Unmarshal(bytes.TrimSpace(b), &e) != nil || e.Error == "" {
		return nil, false
	}
	msg := e.Error
	if tail := lastLine(e.Stderr); tail != "" && !strings.Contains(msg, tail) {
		msg += ": " + tail
	}
	code, status := protocol.CodeScriptFailed, http.StatusUnprocessableEntity
	switch e.Code {
	case notifyscript.CodeBadName, notifyscript.CodeBadInput:
		code, status = protocol.CodeBadRequest, http.StatusBadRequest
	case notifyscript.CodeNotFound:
		code, status = protocol.CodeNotFound, http.StatusNotFound
	case notifyscript.CodeNotAllowed:
		code, status = protocol.CodeForbidden, http.StatusForbidden
	case notifyscript.CodeTimeout:
		status = http.StatusGatewayTimeout
	case notifyscript.CodeCannotStart, notifyscript.CodeInternal, notifyscript.CodeUsage:
		code, status = protocol.CodeHelperFailed, http.StatusBadGateway
	}
	return apperr.New(code, status, "%s", msg), true
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// limited is a buffer that keeps at most max bytes and remembers overflow.
type limited struct {
	bytes.Buffer
	max  int
	over bool
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); len(p) > room {
		l.over = true
		if room > 0 {
			l.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return l.Buffer.Write(p)
}

var _ io.Writer = (*limited)(nil)

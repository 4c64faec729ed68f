package notifyscript

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// DefaultTimeout is how long a script may run (NOTIFY_SCRIPT_TIMEOUT_SECONDS
// overrides it).
const DefaultTimeout = 60 * time.Second

// Output bounds. A script's stdout is its JSON answer: more than
// MaxStdoutBytes is refused. Of stderr only the last MaxStderrBytes are kept,
// enough to show why a script failed.
const (
	MaxStdoutBytes = 1 << 20
	MaxStderrBytes = 8 << 10
)

// Result is what running a script gave, whatever the outcome.
type Result struct {
	Stdout   []byte
	Stderr   []byte // the last MaxStderrBytes
	ExitCode int    // -1 when killed
	State    string // how it ended, e.g. "exit status 1", "signal: killed"
	TimedOut bool
	Duration time.Duration
}

// RunOptions tunes Run; the zero value is the defaults.
type RunOptions struct {
	Timeout time.Duration // DefaultTimeout when 0
	// Python is the interpreter; "" picks ~/.venv/bin/python when it is
	// there, else python3 from PATH.
	Python string
	// User is put in USER and LOGNAME of the script's environment.
	User string
}

// Interpreter is the Python a script of this home runs with: the user's
// ~/.venv/bin/python when it is an executable file, else python3 on PATH.
func (h Home) Interpreter() (string, error) {
	if fi, err := os.Stat(h.Venv()); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return h.Venv(), nil
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return "", newError(CodeCannotStart, "no python3 on PATH and no ~/.venv/bin/python", err)
	}
	return p, nil
}

// Run runs the script name of this home and parses its output. It returns
// the Result in every case where the script started, and an *Error when the
// run did not give a valid Output (not found, could not start, timeout,
// non-zero exit, bad output). A non-zero exit is checked before the output:
// a failing script's stdout is not trusted.
func (h Home) Run(ctx context.Context, name string, opts RunOptions) (Output, Result, error) {
	path, err := h.Find(name)
	if err != nil {
		return Output{}, Result{}, err
	}
	python := opts.Python
	if python == "" {
		if python, err = h.Interpreter(); err != nil {
			return Output{}, Result{}, err
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	res, err := Exec(ctx, ExecSpec{
		Argv:    []string{python, path},
		Dir:     h.ScriptsDir(),
		Env:     ScriptEnv(os.Environ(), string(h), opts.User),
		Timeout: timeout,
	})
	if err != nil {
		return Output{}, res, newError(CodeCannotStart, fmt.Sprintf("cannot start %s with %s", name, python), err)
	}
	switch {
	case ctx.Err() != nil && !res.TimedOut:
		return Output{}, res, newError(CodeInternal, fmt.Sprintf("%s was stopped: the run was cancelled", name), ctx.Err())
	case res.TimedOut:
		return Output{}, res, newError(CodeTimeout, fmt.Sprintf("%s did not finish within %s and was stopped", name, timeout), nil)
	case res.ExitCode != 0:
		msg := fmt.Sprintf("%s exited with status %d", name, res.ExitCode)
		if res.ExitCode < 0 {
			msg = fmt.Sprintf("%s was stopped (%s)", name, res.State)
		}
		if last := LastLine(res.Stderr); last != "" {
			msg += ": " + last
		}
		return Output{}, res, newError(CodeExitStatus, msg, nil)
	case len(res.Stdout) > MaxStdoutBytes:
		return Output{}, res, newError(CodeBadOutput, fmt.Sprintf("%s printed more than %d bytes on stdout", name, MaxStdoutBytes), nil)
	}
	out, err := ParseOutput(res.Stdout)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Message = name + ": " + e.Message
		}
		return Output{}, res, err
	}
	return out, res, nil
}

// LastLine is the last non-empty line of b, trimmed and cut to 300 bytes;
// usually the exception a Python script died with.
func LastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if len(last) > 300 {
		last = last[:300] + "…"
	}
	return strings.ToValidUTF8(last, "")
}

// scriptEnvKeep are the variables a script inherits from the process that
// runs it. Everything else (secrets such as DESKTOP_JWT_SECRET included) is
// left out: the script gets a clean, predictable environment.
var scriptEnvKeep = []string{"PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"}

// ScriptEnv is the environment a script runs with: HOME, USER, LOGNAME and
// a few locale variables, taken from environ; nothing else.
func ScriptEnv(environ []string, home, user string) []string {
	env := []string{"HOME=" + home, "PYTHONIOENCODING=utf-8"}
	if user != "" {
		env = append(env, "USER="+user, "LOGNAME="+user)
	}
	havePath := false
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		keep := strings.HasPrefix(k, "LC_")
		for _, want := range scriptEnvKeep {
			keep = keep || k == want
		}
		if keep {
			env = append(env, kv)
			havePath = havePath || k == "PATH"
		}
	}
	if !havePath {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	return env
}

// ExecSpec is one process to run.
type ExecSpec struct {
	Argv    []string
	Dir     string
	Env     []string
	Timeout time.Duration
}

// Exec runs a process in its own process group with a timeout. When the
// timeout passes (or ctx ends) the whole group is killed, so a script's
// children die with it; leftovers of a script that exited are killed too.
// The error is non-nil only when the process could not start; a non-zero
// exit or a timeout is a Result.
func Exec(ctx context.Context, spec ExecSpec) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	stdout := &headBuffer{max: MaxStdoutBytes + 1}
	stderr := &tailBuffer{max: MaxStderrBytes}
	cmd := exec.CommandContext(ctx, spec.Argv[0], spec.Argv[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.Stdin = nil
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// A grandchild that keeps stdout open must not hold the runner.
	cmd.WaitDelay = 2 * time.Second
	ownGroup(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	werr := cmd.Wait()
	killGroup(cmd)
	res := Result{
		Stdout:   stdout.buf,
		Stderr:   stderr.bytes(),
		ExitCode: cmd.ProcessState.ExitCode(),
		State:    cmd.ProcessState.String(),
		Duration: time.Since(start),
		TimedOut: errors.Is(ctx.Err(), context.DeadlineExceeded),
	}
	if werr != nil && res.ExitCode == 0 && !errors.Is(werr, exec.ErrWaitDelay) {
		// Killed by a signal, or the I/O failed: not a success.
		res.ExitCode = -1
	}
	return res, nil
}

// headBuffer keeps the first max bytes written and counts the rest.
type headBuffer struct {
	buf []byte
	max int
}

func (b *headBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		b.buf = append(b.buf, p[:room]...)
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) bytes() []byte {
	if len(b.buf) > b.max {
		return b.buf[len(b.buf)-b.max:]
	}
	return b.buf
}

// Package notifyconfig reads the settings of notify-runner and notify-scripts
// from the environment. Every variable either command reads is listed here
// with its default, and nowhere else; docs/notify-tools.md has the same
// table. Load takes the environment as NAME=value strings so tests need not
// touch the process environment; every error names the variable at fault.
package notifyconfig

import (
	"fmt"
	"log/slog"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/envmap"
	"github.com/keboola/analyst-alerts/internal/logsetup"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/notifyimage"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// The variables.
const (
	EnvHome          = "HOME"
	EnvUser          = "NOTIFY_USER"
	EnvTimeout       = "NOTIFY_SCRIPT_TIMEOUT_SECONDS"
	EnvAnalystGroup  = "NOTIFY_ANALYST_GROUP"
	EnvBotSocket     = "NOTIFY_BOT_SOCKET"
	EnvDispatch      = "WS_DISPATCH_SOCKET"
	EnvImagesDir     = "NOTIFICATION_IMAGES_DIR"
	EnvMaxImageBytes = "NOTIFY_MAX_IMAGE_BYTES"
	EnvLogMaxMB      = "NOTIFY_LOG_MAX_MB"
	EnvImageMaxAge   = "NOTIFY_IMAGE_MAX_AGE_DAYS"
	EnvLogLevel      = "LOG_LEVEL"
	EnvFailAfter     = "NOTIFY_FAIL_ALERT_AFTER"
	EnvRunnerEvery   = "NOTIFY_RUNNER_EVERY"
)

// Defaults that are not defined by another package.
const (
	DefaultAnalystGroup = "dataread"
	// DefaultImagesDir is the webapp's default DATA_DIR plus /images, the
	// folder it serves at /api/notifications/images/.
	DefaultImagesDir = "/data/notifications/images"
	DefaultLogMaxMB  = 1
	// DefaultFailAfter is how many passes in a row without a good run make
	// a script "failing" (one alert to its owner).
	DefaultFailAfter = 3
	// DefaultRunnerEvery is how often cron starts notify-runner, as the
	// runner tells the watcher and uses as grace for expect_every.
	DefaultRunnerEvery = 5 * time.Minute
)

// Config is every setting of the notify tools.
type Config struct {
	// Home is the user's home folder: $HOME, except under sudo, where
	// $HOME may still be the caller's and the password database decides.
	Home notifyscript.Home
	// User is the local user name alerts are addressed to: NOTIFY_USER,
	// else the user the process runs as.
	User           string
	Timeout        time.Duration
	AnalystGroup   string
	BotSocket      string
	DispatchSocket string
	ImagesDir      string
	MaxImageBytes  int64
	ImageMaxAge    time.Duration // published images older than this are removed
	LogMaxMB       int
	LogLevel       slog.Level
	FailAfter      int           // NOTIFY_FAIL_ALERT_AFTER
	RunnerEvery    time.Duration // NOTIFY_RUNNER_EVERY
}

// Load reads the configuration from environ (os.Environ() form).
func Load(environ []string) (Config, error) {
	env := envmap.Parse(environ)
	get := env.Get
	c := Config{
		User:           get(EnvUser, ""),
		AnalystGroup:   get(EnvAnalystGroup, DefaultAnalystGroup),
		BotSocket:      get(EnvBotSocket, botclient.DefaultSocket),
		DispatchSocket: get(EnvDispatch, protocol.DefaultDispatchSocket),
		ImagesDir:      get(EnvImagesDir, DefaultImagesDir),
	}

	me, uerr := user.Current()
	if c.User == "" {
		if uerr != nil {
			return c, fmt.Errorf("cannot tell which user this is (set %s): %v", EnvUser, uerr)
		}
		c.User = me.Username
	}
	home := env[EnvHome]
	if env["SUDO_USER"] != "" || home == "" {
		if uerr != nil {
			return c, fmt.Errorf("cannot find the home folder (set %s): %v", EnvHome, uerr)
		}
		home = me.HomeDir
	}
	if !strings.HasPrefix(home, "/") {
		return c, fmt.Errorf("%s: %q is not an absolute path", EnvHome, home)
	}
	c.Home = notifyscript.Home(home)

	secs, err := strconv.ParseFloat(get(EnvTimeout, "60"), 64)
	if err != nil || secs <= 0 || secs > 24*3600 {
		return c, fmt.Errorf("%s: %q is not a number of seconds between 0 and 86400", EnvTimeout, get(EnvTimeout, ""))
	}
	c.Timeout = time.Duration(secs * float64(time.Second))

	c.MaxImageBytes, err = strconv.ParseInt(get(EnvMaxImageBytes, strconv.Itoa(notifyimage.DefaultMaxBytes)), 10, 64)
	if err != nil || c.MaxImageBytes <= 0 {
		return c, fmt.Errorf("%s: %q is not a positive number of bytes", EnvMaxImageBytes, get(EnvMaxImageBytes, ""))
	}
	days, err := strconv.Atoi(get(EnvImageMaxAge, strconv.Itoa(int(notifyimage.DefaultMaxAge/(24*time.Hour)))))
	if err != nil || days <= 0 {
		return c, fmt.Errorf("%s: %q is not a positive number of days", EnvImageMaxAge, get(EnvImageMaxAge, ""))
	}
	c.ImageMaxAge = time.Duration(days) * 24 * time.Hour
	c.LogMaxMB, err = strconv.Atoi(get(EnvLogMaxMB, strconv.Itoa(DefaultLogMaxMB)))
	if err != nil || c.LogMaxMB <= 0 {
		return c, fmt.Errorf("%s: %q is not a positive number of megabytes", EnvLogMaxMB, get(EnvLogMaxMB, ""))
	}
	c.FailAfter, err = strconv.Atoi(get(EnvFailAfter, strconv.Itoa(DefaultFailAfter)))
	if err != nil || c.FailAfter < 1 || c.FailAfter > 1000 {
		return c, fmt.Errorf("%s: %q is not a number of passes between 1 and 1000", EnvFailAfter, get(EnvFailAfter, ""))
	}
	c.RunnerEvery, err = time.ParseDuration(get(EnvRunnerEvery, DefaultRunnerEvery.String()))
	if err != nil || c.RunnerEvery < time.Second || c.RunnerEvery > 24*time.Hour {
		return c, fmt.Errorf("%s: %q is not a Go duration between 1s and 24h (like 5m)", EnvRunnerEvery, get(EnvRunnerEvery, ""))
	}
	if !strings.HasPrefix(c.ImagesDir, "/") {
		return c, fmt.Errorf("%s: %q is not an absolute path", EnvImagesDir, c.ImagesDir)
	}
	if c.LogLevel, err = logsetup.ParseLevel(get(EnvLogLevel, "info")); err != nil {
		return c, fmt.Errorf("%s: %w", EnvLogLevel, err)
	}
	return c, nil
}

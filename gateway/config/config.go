// Package config reads the gateway's settings from the environment. Every
// variable is listed here, once, with its default.
package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/envmap"
	"github.com/keboola/analyst-alerts/internal/logsetup"
	"github.com/keboola/analyst-alerts/webapp/botclient"
)

// The environment variables. The first eight are the seed's contract.
const (
	EnvHost             = "WS_GATEWAY_HOST"
	EnvPort             = "WS_GATEWAY_PORT"
	EnvDispatchSocket   = "WS_DISPATCH_SOCKET"
	EnvTrustedGroup     = "WS_DISPATCH_TRUSTED_GROUP"
	EnvSecret           = "DESKTOP_JWT_SECRET"
	EnvIssuer           = "DESKTOP_JWT_ISSUER"
	EnvHeartbeat        = "HEARTBEAT_INTERVAL_SECONDS"
	EnvHeartbeatMissed  = "HEARTBEAT_TIMEOUT_MISSED"
	EnvMaxConnsPerUser  = "MAX_CONNECTIONS_PER_USER"
	EnvStateDir         = "WS_GATEWAY_STATE_DIR"
	EnvHistoryLimit     = "WS_GATEWAY_HISTORY_LIMIT"
	EnvAuthTimeout      = "WS_GATEWAY_AUTH_TIMEOUT_SECONDS"
	EnvMaxPending       = "WS_GATEWAY_MAX_PENDING"
	EnvSendQueue        = "WS_GATEWAY_SEND_QUEUE"
	EnvFsync            = "WS_GATEWAY_FSYNC"
	EnvLogLevel         = "WS_GATEWAY_LOG_LEVEL"
	EnvLogFormat        = "WS_GATEWAY_LOG_FORMAT"
	EnvShutdownDeadline = "WS_GATEWAY_SHUTDOWN_SECONDS"
	// The runner watcher (gateway/watch, docs/health.md).
	EnvBotSocket         = "WS_GATEWAY_BOT_SOCKET"
	EnvRunnerSilentAfter = "WS_GATEWAY_RUNNER_SILENT_AFTER"
)

// Config is everything the gateway can be told.
type Config struct {
	Host           string // TCP host for the WebSocket listener
	Port           int    // TCP port; 0 picks a free one (tests)
	DispatchSocket string // unix socket for POST /dispatch, GET /health, ...
	// TrustedGroup's members (with root and the gateway's own user) may do
	// everything on the dispatch socket; anyone else may only dispatch to
	// themselves. "" trusts only root and the gateway's user.
	TrustedGroup string
	Secret       []byte        // HS256 secret shared with the webapp
	Issuer       string        // accepted "iss"
	Heartbeat    time.Duration // ping interval
	MaxMissed    int           // missed pongs before the connection is dropped
	MaxConnsPer  int           // live connections per user
	StateDir     string        // holds the history database
	HistoryLimit int           // notifications kept per user
	AuthTimeout  time.Duration // time a client has to send its auth frame
	// MaxPending bounds the connections not yet authenticated: beyond it
	// a new connection is closed at once, so a flood of silent connections
	// cannot take every file descriptor.
	MaxPending   int
	SendQueue    int  // frames queued per connection before it is dropped as slow
	Fsync        bool // a notification is stored once fsynced (false: once written to the OS)
	LogLevel     slog.Level
	LogFormat    string // "text" or "json"
	ShutdownWait time.Duration
	Cluster      Cluster // cluster mode (cluster.go); zero: the embedded store
	// BotSocket is where the runner watcher sends its Telegram alerts;
	// "off" sends none (the desktop apps still get them).
	BotSocket string
	// RunnerSilentAfter is how many announced intervals without a
	// heartbeat make a user's runner silent.
	RunnerSilentAfter int
	// WatchTick is how often the runner watcher checks (tests shorten it).
	WatchTick time.Duration
}

// Defaults returns the configuration with every default and no secret.
func Defaults() Config {
	return Config{
		Host:           "127.0.0.1",
		Port:           8765,
		DispatchSocket: protocol.DefaultDispatchSocket,
		Issuer:         protocol.DefaultIssuer,
		Heartbeat:      30 * time.Second,
		MaxMissed:      3,
		MaxConnsPer:    5,
		StateDir:       "/var/lib/ws-gateway",
		HistoryLimit:   200,
		AuthTimeout:    10 * time.Second,
		MaxPending:     1024,
		SendQueue:      256,
		Fsync:          false,
		LogLevel:       slog.LevelInfo,
		LogFormat:      "text",
		ShutdownWait:   10 * time.Second,
		BotSocket:      botclient.DefaultSocket,
		// The watcher's own default (gateway/watch.DefaultSilentAfter).
		RunnerSilentAfter: 3,
		WatchTick:         time.Second,
	}
}

// Load reads environ (NAME=value pairs, as os.Environ returns) over the
// defaults. Errors name the variable at fault.
func Load(environ []string) (Config, error) {
	env := envmap.Parse(environ)
	c := Defaults()
	var errs []string
	str := func(name string, dst *string) {
		if v, ok := env[name]; ok && v != "" {
			*dst = v
		}
	}
	integer := func(name string, dst *int, min int) {
		v, ok := env[name]
		if !ok || v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			errs = append(errs, fmt.Sprintf("%s=%q: want an integer >= %d", name, v, min))
			return
		}
		*dst = n
	}
	seconds := func(name string, dst *time.Duration) {
		v, ok := env[name]
		if !ok || v == "" {
			return
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a positive number of seconds", name, v))
			return
		}
		*dst = time.Duration(f * float64(time.Second))
	}

	str(EnvHost, &c.Host)
	integer(EnvPort, &c.Port, 0)
	str(EnvDispatchSocket, &c.DispatchSocket)
	str(EnvTrustedGroup, &c.TrustedGroup)
	str(EnvIssuer, &c.Issuer)
	seconds(EnvHeartbeat, &c.Heartbeat)
	integer(EnvHeartbeatMissed, &c.MaxMissed, 1)
	integer(EnvMaxConnsPerUser, &c.MaxConnsPer, 1)
	str(EnvStateDir, &c.StateDir)
	integer(EnvHistoryLimit, &c.HistoryLimit, 1)
	seconds(EnvAuthTimeout, &c.AuthTimeout)
	integer(EnvMaxPending, &c.MaxPending, 1)
	integer(EnvSendQueue, &c.SendQueue, 1)
	seconds(EnvShutdownDeadline, &c.ShutdownWait)
	str(EnvLogFormat, &c.LogFormat)
	str(EnvBotSocket, &c.BotSocket)
	integer(EnvRunnerSilentAfter, &c.RunnerSilentAfter, 1)
	if v := env[EnvFsync]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: want true or false", EnvFsync, v))
		}
		c.Fsync = b
	}
	if v := env[EnvLogLevel]; v != "" {
		var err error
		if c.LogLevel, err = logsetup.ParseLevel(v); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: want %s", EnvLogLevel, v, logsetup.Levels))
		}
	}
	if f, err := logsetup.ParseFormat(c.LogFormat); err != nil {
		errs = append(errs, fmt.Sprintf("%s=%q: want text or json", EnvLogFormat, c.LogFormat))
	} else {
		c.LogFormat = f
	}
	if c.Port > 65535 {
		errs = append(errs, fmt.Sprintf("%s=%d: not a port", EnvPort, c.Port))
	}
	secret, ok := env[EnvSecret]
	switch {
	case !ok || secret == "":
		errs = append(errs, EnvSecret+" is required (generate one with: head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')")
	case len(secret) < protocol.MinSecretBytes:
		errs = append(errs, fmt.Sprintf("%s is too short: %d bytes, need at least %d", EnvSecret, len(secret), protocol.MinSecretBytes))
	}
	c.Secret = []byte(secret)
	var clusterErrs []string
	c.Cluster, clusterErrs = loadCluster(env)
	errs = append(errs, clusterErrs...)
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// Addr is the WebSocket listener's host:port.
func (c Config) Addr() string {
	return c.Host + ":" + strconv.Itoa(c.Port)
}

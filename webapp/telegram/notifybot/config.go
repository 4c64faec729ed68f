package notifybot

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/envmap"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/scripts"
)

// The variables notify-bot reads; docs/telegram.md has the same table.
const (
	EnvToken         = "TELEGRAM_BOT_TOKEN"
	EnvAPIURL        = "TELEGRAM_API_URL"
	EnvWebhookURL    = "TELEGRAM_WEBHOOK_URL"
	EnvWebhookListen = "TELEGRAM_WEBHOOK_LISTEN"
	EnvSocket        = "NOTIFY_BOT_SOCKET"
	EnvSocketGroup   = "NOTIFY_BOT_SOCKET_GROUP"
	EnvTrustedGroup  = "NOTIFY_BOT_TRUSTED_GROUP"
	EnvDataDir       = "DATA_DIR"
	EnvPublicURL     = "WEBAPP_PUBLIC_URL"
	EnvRatePerChat   = "NOTIFY_BOT_RATE_PER_CHAT"
	EnvRateGlobal    = "NOTIFY_BOT_RATE_GLOBAL"
	EnvLogLevel      = "LOG_LEVEL"
	// The commands run scripts and reach the desktop app as the webapp
	// does, with the webapp's variables.
	EnvHelper         = "NOTIFY_SCRIPTS_HELPER"
	EnvHelperRunAs    = "NOTIFY_SCRIPTS_RUN_AS"
	EnvHelperHomeRoot = "NOTIFY_SCRIPTS_HOME_ROOT"
	EnvDispatch       = "WS_DISPATCH_SOCKET"
	// EnvAckPoll is how often, in seconds, the bot reads from the gateway
	// whether the alerts it sent were acknowledged (alertacks.go).
	EnvAckPoll = "NOTIFY_BOT_ACK_POLL_SECONDS"
)

// Defaults.
const (
	DefaultAPIURL        = "https://api.telegram.org"
	DefaultDataDir       = "/data/notifications" // the webapp's DATA_DIR
	DefaultWebhookListen = "127.0.0.1:8766"
	DefaultPublicURL     = "http://127.0.0.1:8080"
	DefaultHelper        = "/usr/local/bin/notify-scripts"
	// Telegram's limits: about one message per second per chat, 30 per
	// second in all (https://core.telegram.org/bots/faq).
	DefaultRatePerChat = 1.0
	DefaultRateGlobal  = 30.0
)

// tokenRE is BotFather's token shape: the bot's id, a colon, a secret.
var tokenRE = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{30,80}$`)

// Config is every setting of notify-bot.
type Config struct {
	Token         string
	APIURL        string
	WebhookURL    string // empty: long polling
	WebhookListen string
	Socket        string
	SocketGroup   string // the socket file's group ("": the process's)
	TrustedGroup  string // may send to anyone ("": only root and the bot's user)
	DataDir       string
	PublicURL     string // the portal, for the link in replies
	RatePerChat   float64
	RateGlobal    float64
	LogLevel      string

	Helper         string
	HelperSudo     bool     // NOTIFY_SCRIPTS_RUN_AS=sudo (the default) or direct
	HelperHomeRoot string   // direct mode: HOME is <root>/<user>
	HelperEnv      []string // direct mode: what the helper is handed (scripts.HelperEnv)
	DispatchSocket string
	// AckPollEvery is how often acknowledgements are read from the gateway
	// (alertacks.go; NOTIFY_BOT_ACK_POLL_SECONDS, default 5).
	AckPollEvery time.Duration
}

// LoadConfig reads the configuration from environ (os.Environ() form);
// every error names the variable at fault, and none repeats the token.
func LoadConfig(environ []string) (Config, error) {
	env := envmap.Parse(environ)
	get := env.Get
	c := Config{
		Token:         strings.TrimSpace(env[EnvToken]),
		APIURL:        strings.TrimRight(get(EnvAPIURL, DefaultAPIURL), "/"),
		WebhookURL:    get(EnvWebhookURL, ""),
		WebhookListen: get(EnvWebhookListen, DefaultWebhookListen),
		Socket:        get(EnvSocket, botclient.DefaultSocket),
		SocketGroup:   get(EnvSocketGroup, ""),
		TrustedGroup:  get(EnvTrustedGroup, ""),
		DataDir:       get(EnvDataDir, DefaultDataDir),
		PublicURL:     strings.TrimRight(get(EnvPublicURL, DefaultPublicURL), "/"),
		LogLevel:      strings.ToLower(get(EnvLogLevel, "info")),

		Helper:         get(EnvHelper, DefaultHelper),
		DispatchSocket: get(EnvDispatch, protocol.DefaultDispatchSocket),
	}
	c.HelperHomeRoot = get(EnvHelperHomeRoot, filepath.Join(c.DataDir, "dev-home"))
	c.HelperEnv = scripts.HelperEnv(env)
	switch runAs := strings.ToLower(get(EnvHelperRunAs, "sudo")); runAs {
	case "sudo":
		c.HelperSudo = true
	case "direct":
	default:
		return c, fmt.Errorf("%s: %q is neither \"sudo\" nor \"direct\"", EnvHelperRunAs, runAs)
	}
	if c.Token == "" {
		return c, fmt.Errorf("%s is required (the token BotFather gave for the bot; for development, `make run` starts a stand-in Bot API)", EnvToken)
	}
	if !tokenRE.MatchString(c.Token) {
		return c, fmt.Errorf("%s is malformed: a bot token is the bot's id, a colon and 30 or more letters, digits, '_' or '-'", EnvToken)
	}
	for _, u := range []struct{ name, val string }{{EnvAPIURL, c.APIURL}, {EnvPublicURL, c.PublicURL}} {
		p, err := url.Parse(u.val)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return c, fmt.Errorf("%s: %q is not an http(s) URL", u.name, u.val)
		}
	}
	if c.WebhookURL != "" {
		// Telegram only calls https webhooks; plain http is taken for a
		// loopback host (the stand-in Bot API).
		p, err := url.Parse(c.WebhookURL)
		ip := net.ParseIP(p.Hostname())
		if err != nil || p.Host == "" || (p.Scheme != "https" && (p.Scheme != "http" || ip == nil || !ip.IsLoopback())) {
			return c, fmt.Errorf("%s: %q is not an https URL (Telegram only calls https webhooks)", EnvWebhookURL, c.WebhookURL)
		}
	}
	if !strings.HasPrefix(c.Socket, "/") {
		return c, fmt.Errorf("%s: %q is not an absolute path", EnvSocket, c.Socket)
	}
	if !strings.HasPrefix(c.DataDir, "/") {
		return c, fmt.Errorf("%s: %q is not an absolute path", EnvDataDir, c.DataDir)
	}
	var err error
	if c.RatePerChat, err = positive(get(EnvRatePerChat, ""), DefaultRatePerChat); err != nil {
		return c, fmt.Errorf("%s: %v", EnvRatePerChat, err)
	}
	if c.RateGlobal, err = positive(get(EnvRateGlobal, ""), DefaultRateGlobal); err != nil {
		return c, fmt.Errorf("%s: %v", EnvRateGlobal, err)
	}
	if v := get(EnvAckPoll, ""); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs < 0.1 || secs > 3600 {
			return c, fmt.Errorf("%s: %q is not a number of seconds between 0.1 and 3600", EnvAckPoll, v)
		}
		c.AckPollEvery = time.Duration(secs * float64(time.Second))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("%s: %q is not debug, info, warn or error", EnvLogLevel, c.LogLevel)
	}
	return c, nil
}

func positive(s string, def float64) (float64, error) {
	if s == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 100000 {
		return 0, fmt.Errorf("%q is not a number of messages per second between 0 and 100000", s)
	}
	return f, nil
}

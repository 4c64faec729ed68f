// Package connection keeps the app's WebSocket link to the gateway: it
// authenticates (resuming from the last notification it saw), answers
// pings, notices a dead link by itself (no ping within 2.5 heartbeat
// intervals), reconnects with jittered exponential backoff from 1 s to
// 30 s, and reconnects at once after the computer slept or the network
// changed (package wake says when). Its Status is the truth shown to the
// user.
//
// gorilla/websocket is the client: mature, the one the design names, and
// its single-writer rule maps onto this package's one goroutine per link.
package connection

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/gorilla/websocket"
	"github.com/jonboulle/clockwork"

	"github.com/keboola/analyst-alerts/desktop/idletimer"
	"github.com/keboola/analyst-alerts/desktop/wake"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// State of the link, as the UI shows it.
type State string

const (
	SignedOut    State = "signed_out"
	Connecting   State = "connecting"
	Connected    State = "connected"
	Reconnecting State = "reconnecting" // waiting until RetryAt
	AuthFailed   State = "auth_failed"
)

// Status is the link's state.
type Status struct {
	State    State     `json:"state"`
	Username string    `json:"username,omitempty"`
	RetryAt  time.Time `json:"retry_at,omitzero"` // Reconnecting: when the next attempt starts
	Error    string    `json:"error,omitempty"`   // why the last attempt ended, in words; kept until a link is up
	// CatchingUp: Connected, and the replay of what was missed since the
	// last frame is still coming (alerts meanwhile are gathered into it,
	// for one "while you were away" summary); false once it is delivered.
	CatchingUp bool `json:"catching_up,omitempty"`
}

// Defaults.
const (
	DefaultHeartbeat = 30 * time.Second // the gateway's ping interval
	DeadAfterPings   = 2.5              // missed intervals before the link is dead
	MinBackoff       = time.Second
	MaxBackoff       = 30 * time.Second
	// RestartJitter spreads the reconnects after a gateway's drain (close
	// 1012, service restart: a cluster node going down, its peers up):
	// each app waits a random moment below it, so 15,000 apps come back
	// at about 15 a millisecond, not at once and not a backoff step late.
	RestartJitter = time.Second
	authTimeout   = 10 * time.Second
	writeTimeout  = 10 * time.Second
	// catchUpGap: with a gateway that does not announce its replay count in
	// auth_ok, frames that follow auth_ok back to back (each within this of
	// the previous) are taken as the replay of missed notifications.
	catchUpGap = 150 * time.Millisecond
)

// Options wire the link to the rest of the app. Only URL and Token are
// required.
type Options struct {
	URL    func() string           // the gateway's ws(s):// URL; "" while there is none
	Token  func() string           // "" means signed out
	Cursor func() *protocol.Resume // last frame seen; nil: none yet

	// OnNotifications gets new frames, oldest first. replayed is true for
	// the burst the gateway sends right after auth_ok (what was missed).
	OnNotifications func(frames []protocol.NotificationFrame, replayed bool)
	// OnAcked gets an acknowledgement event (from this device or any
	// other), after the notifications that came before it.
	OnAcked  func(f protocol.AckedFrame)
	OnStatus func(Status)
	// OnAuthError gets the gateway's reason when it refused the token
	// (protocol.AuthError.TokenRefused); the link waits in AuthFailed
	// until Kick (after the app refreshed the token or signed out). Other
	// refusals are retried through the backoff and not reported here.
	OnAuthError func(message string)

	Clock     clockwork.Clock    // default real
	Heartbeat time.Duration      // default 30 s
	Dialer    *websocket.Dialer  // default: 15 s handshake, proxy from environment
	Header    func() http.Header // extra handshake headers
	Logger    *slog.Logger       // default slog.Default() with category WebSocket
	// Wakes calls wake, until ctx ends, each time the computer woke from
	// sleep, the clock jumped or the network changed; default wake.Run
	// (the OS's events).
	Wakes func(ctx context.Context, wake func(reason string))
}

// Conn is the link. Run it once; Kick and Status are safe from any goroutine.
type Conn struct {
	o    Options
	log  *slog.Logger
	kick chan struct{}
	wake chan string
	acks chan string // ids to acknowledge, sent by the next authenticated link
	bo   *backoff.ExponentialBackOff
	// restartJitter is RestartJitter; a test makes it short.
	restartJitter time.Duration
	// writeTimeout is writeTimeout; a test makes it short.
	writeTimeout time.Duration
	// newLinkTimer makes a link's auth and dead-link timer: an idletimer
	// (pushed back by every frame without waking the idle app later, issue
	// 17), or a fake clock's.
	newLinkTimer func(time.Duration) clockwork.Timer

	mu     sync.Mutex
	status Status
}

// New returns a link; nothing happens until Run.
func New(o Options) *Conn {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	newLinkTimer := func(d time.Duration) clockwork.Timer { return idletimer.New(d) }
	if fake, ok := o.Clock.(*clockwork.FakeClock); ok {
		newLinkTimer = fake.NewTimer // a test moves it
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.Dialer == nil {
		o.Dialer = &websocket.Dialer{HandshakeTimeout: 15 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	if o.Cursor == nil {
		o.Cursor = func() *protocol.Resume { return nil }
	}
	if o.Logger == nil {
		o.Logger = slog.Default().With(slog.String("category", "WebSocket"))
	}
	if o.Wakes == nil {
		log := o.Logger
		o.Wakes = func(ctx context.Context, w func(string)) { wake.Run(ctx, wake.Options{Logger: log}, w) }
	}
	bo := &backoff.ExponentialBackOff{
		InitialInterval: MinBackoff, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: MaxBackoff,
	}
	bo.Reset()
	return &Conn{o: o, log: o.Logger, kick: make(chan struct{}, 1), wake: make(chan string, 1), bo: bo,
		acks: make(chan string, maxQueuedAcks), restartJitter: RestartJitter, newLinkTimer: newLinkTimer,
		writeTimeout: writeTimeout}
}

// maxQueuedAcks bounds the acknowledgements waiting for a link.
const maxQueuedAcks = 64

// Ack queues an acknowledgement of alert id for the gateway: sent at once
// when the link is up, else when it next is. false when too many wait. The
// gateway answers every connection of the user (this one too) with an
// acked frame, which is what marks the alert (OnAcked).
func (c *Conn) Ack(id string) bool {
	select {
	case c.acks <- id:
		return true
	default:
		return false
	}
}

// DropAcks forgets the acknowledgements still waiting for a link (the
// session they were given in ended) and says how many.
func (c *Conn) DropAcks() int {
	for n := 0; ; n++ {
		select {
		case <-c.acks:
		default:
			return n
		}
	}
}

// Status is the current state.
func (c *Conn) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Kick makes the link start over now: after sign-in or sign-out, a new
// token after an auth failure, or a new server address.
func (c *Conn) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Conn) setStatus(s Status) {
	c.mu.Lock()
	changed := c.status != s
	c.status = s
	c.mu.Unlock()
	if changed && c.o.OnStatus != nil {
		c.o.OnStatus(s)
	}
}

// errors that end a link
var (
	errKicked  = errors.New("restarted on request")
	errDead    = errors.New("no ping from the gateway: link is dead")
	errAuth    = errors.New("the gateway refused the sign-in")
	errTimeout = errors.New("the gateway did not answer the sign-in")
)

type wakeError struct{ reason string }

func (e wakeError) Error() string { return "renewing the link: " + e.reason }

// Run keeps the link until ctx ends.
func (c *Conn) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	watched := make(chan struct{})
	defer func() { cancel(); <-watched }()
	go func() { defer close(watched); c.watch(ctx) }()
	authFailed := false
	for ctx.Err() == nil {
		if c.o.Token() == "" {
			c.bo.Reset()
			authFailed = false
			c.setStatus(Status{State: SignedOut})
			c.waitKick(ctx)
			continue
		}
		if authFailed {
			// Wait for the app to deal with the refusal (refresh or sign out),
			// then retry through the backoff so a gateway that keeps refusing
			// (e.g. too many connections) is not hammered.
			if !c.waitKick(ctx) {
				return
			}
			authFailed = false
			if c.o.Token() != "" {
				c.backoffWait(ctx, c.Status().Error)
			}
			continue
		}
		err := c.link(ctx)
		if ctx.Err() != nil {
			return
		}
		var we wakeError
		switch {
		case errors.Is(err, errKicked):
			c.log.Info("link restarted on request")
			continue
		case errors.As(err, &we):
			c.log.Info("reconnecting at once", slog.String("reason", we.reason))
			c.bo.Reset()
			continue
		case errors.Is(err, errAuth):
			authFailed = true
			continue
		case isServiceRestart(err):
			// The node drains; another takes the link now. Should none
			// answer, the backoff goes on from its first step.
			c.log.Info("the gateway is restarting; reconnecting at once")
			c.bo.Reset()
			c.retryIn(ctx, rand.N(c.restartJitter), inWords(err))
			continue
		}
		c.log.Warn("link ended", slog.Any("error", err))
		c.backoffWait(ctx, inWords(err))
	}
}

// isServiceRestart: the gateway closed the link with 1012 (a cluster node
// draining).
func isServiceRestart(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code == websocket.CloseServiceRestart
}

// backoffWait waits the next backoff delay in Reconnecting; it returns
// false if woken early by a kick, a wake-up or ctx.
func (c *Conn) backoffWait(ctx context.Context, why string) bool {
	return c.retryIn(ctx, min(c.bo.NextBackOff(), MaxBackoff), why)
}

// retryIn waits d in Reconnecting; false if woken early.
func (c *Conn) retryIn(ctx context.Context, d time.Duration, why string) bool {
	// The timer exists before the status says so: whoever reacts to the
	// status (a test moving a fake clock) finds it.
	t := c.o.Clock.NewTimer(d)
	defer t.Stop()
	c.setStatus(Status{State: Reconnecting, RetryAt: c.o.Clock.Now().Add(d), Error: why})
	c.log.Info("reconnecting", slog.String("in", d.Round(time.Millisecond).String())) // "1.5s", not nanoseconds
	select {
	case <-t.Chan():
		return true
	case <-c.kick:
	case r := <-c.wake:
		c.log.Info("retrying at once", slog.String("reason", r))
		c.bo.Reset()
	case <-ctx.Done():
	}
	return false
}

func (c *Conn) waitKick(ctx context.Context) bool {
	select {
	case <-c.kick:
		return true
	case <-ctx.Done():
		return false
	}
}

// watch passes on the wake-ups (sleep, clock jump, network change) to the
// link, until ctx ends.
func (c *Conn) watch(ctx context.Context) {
	c.o.Wakes(ctx, func(reason string) {
		select {
		case c.wake <- reason:
		default: // one is waiting already
		}
	})
}

// Package notifybot is the Telegram bot behind bot.sock (notify-bot): it
// takes alerts on the socket into an outbox on disk, delivers them to each
// user's linked chat under Telegram's limits, links chats to users (the old
// bot's 6-digit code, and the portal's one-click link), and answers the
// users' commands. The Bot API is reached through github.com/go-telegram/bot
// at TELEGRAM_API_URL, so tests and `make run` use the stand-in of
// webapp/telegram/botapitest.
package notifybot

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/peercred"
	"github.com/keboola/analyst-alerts/internal/unixsock"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

// OutboxFile is the outbox's name in DATA_DIR.
const OutboxFile = "telegram_outbox.db"

// pollTimeout is getUpdates' long-poll (the library asks for one second
// less than this).
const pollTimeout = 30 * time.Second

// Bot is a running notify-bot.
type Bot struct {
	cfg      Config
	log      *slog.Logger
	api      *bot.Bot
	links    *chatlinks.Store
	box      *outbox.Outbox
	sender   *Sender
	commands *Commands
	user     *UserCommands
	alerts   *AlertAcks
	gateway  *protocol.Client
	socket   net.Listener
	http     *http.Server

	mu       sync.Mutex
	username string
}

// Secret is the part of a token that must never be shown (after the colon;
// the bot's id before it is public).
func Secret(token string) string {
	if _, s, ok := strings.Cut(token, ":"); ok {
		return s
	}
	return token
}

// New opens the data files and binds the socket; Run serves.
func New(cfg Config, log *slog.Logger) (*Bot, error) {
	b := &Bot{cfg: cfg, log: log}
	// The groups first: a typo stops the start before anything is opened.
	access, err := peercred.NewAccess(cfg.TrustedGroup, "the bot's own user")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvTrustedGroup, err)
	}
	socketGID := -1
	if cfg.SocketGroup != "" {
		_, gid, err := peercred.LookupGroup(cfg.SocketGroup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSocketGroup, err)
		}
		socketGID = int(gid)
	}
	if b.links, err = chatlinks.Open(cfg.DataDir); err != nil {
		return nil, err
	}
	// Read the links once now: a damaged telegram_users.json stops the
	// start with a message naming it, instead of failing every send.
	users, err := b.links.Users()
	if err != nil {
		return nil, err
	}
	if b.box, err = outbox.Open(filepath.Join(cfg.DataDir, OutboxFile)); err != nil {
		return nil, err
	}
	offset, err := b.box.Offset()
	if err != nil {
		b.box.Close()
		return nil, err
	}
	b.commands = &Commands{Links: b.links, Log: log, PortalURL: cfg.PublicURL}
	b.api, err = bot.New(cfg.Token,
		bot.WithServerURL(cfg.APIURL),
		bot.WithSkipGetMe(), // asked in Run, with retries: Telegram being down must not stop the socket
		bot.WithHTTPClient(pollTimeout, &http.Client{Timeout: pollTimeout + 10*time.Second}),
		bot.WithInitialOffset(offset),
		bot.WithNotAsyncHandlers(), bot.WithWorkers(1), // one update at a time, in order
		bot.WithMiddlewares(b.saveOffset),
		bot.WithDefaultHandler(b.handle),
		bot.WithErrorsHandler(func(err error) { log.Warn("telegram", slog.Any("error", err)) }),
		bot.WithAllowedUpdates(bot.AllowedUpdates{"message", "callback_query"}),
	)
	if err != nil {
		b.box.Close()
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	metrics := NewMetrics(b.box, b.links)
	b.sender = NewSender(b.api, b.box, b.links, metrics, log, cfg.RatePerChat, cfg.RateGlobal)
	b.commands.Sender = b.sender
	b.gateway = protocol.NewClient(cfg.DispatchSocket)
	b.user = &UserCommands{
		Scripts: &scripts.Runner{Helper: cfg.Helper, Sudo: cfg.HelperSudo, HomeRoot: cfg.HelperHomeRoot, Env: cfg.HelperEnv,
			ImagesDir: filepath.Join(cfg.DataDir, "images")},
		Gateway: b.gateway, DataDir: cfg.DataDir, ImagesDir: filepath.Join(cfg.DataDir, "images"),
		Box: b.box, Sender: b.sender, Log: log, Now: time.Now}
	b.commands.Extra = b.user
	b.alerts = &AlertAcks{Gateway: b.gateway, API: b.api, Links: b.links, Box: b.box, Log: log, Now: time.Now,
		PollEvery: cfg.AckPollEvery}
	b.commands.Alerts = b.alerts
	if b.socket, err = unixsock.Listen(cfg.Socket, "notify-bot", socketGID); err != nil {
		b.box.Close()
		var ge *unixsock.GroupError
		if errors.As(err, &ge) {
			return nil, fmt.Errorf("%w (%s)", err, EnvSocketGroup)
		}
		return nil, err
	}
	sock := &Socket{Access: access, Links: b.links, Box: b.box, Sender: b.sender, Metrics: metrics, Log: log, Identity: b.identity}
	b.http = &http.Server{Handler: sock.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		ConnContext: peercred.ConnContext} // who connected, for Socket's rules
	if !peercred.Supported {
		log.Warn("this OS gives no peer credentials on unix sockets: every caller of the bot socket is trusted, its mode is the only access control")
	}
	log.Info("notify-bot ready", slog.String("socket", cfg.Socket), slog.String("data_dir", cfg.DataDir),
		slog.Int("linked_users", len(users)), slog.Int("queued", b.box.Len()), slog.Int64("update_offset", offset))
	return b, nil
}

// Commands is the command handler, for adding the linked users' commands.
func (b *Bot) Commands() *Commands { return b.commands }

// API is the Bot API client.
func (b *Bot) API() *bot.Bot { return b.api }

// Username is the bot's @name once getMe answered.
func (b *Bot) Username() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.username
}

// identity is the bot's @name and the link a start code is appended to:
// t.me for Telegram, the stand-in's page of the same shape otherwise.
func (b *Bot) identity() (string, string) {
	name := b.Username()
	if name == "" {
		return "", ""
	}
	if b.cfg.APIURL == DefaultAPIURL {
		return name, "https://t.me/" + name + "?start="
	}
	return name, b.cfg.APIURL + "/" + name + "?start="
}

// Run serves until ctx ends, then shuts down gracefully: the socket stops
// taking messages, sends in flight finish, the outbox is closed.
func (b *Bot) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	// The sender takes what the outbox holds before the socket adds to it:
	// a message queued meanwhile would otherwise be handed over twice, or
	// to a goroutine that does not stop with ctx.
	if err := b.sender.Start(ctx); err != nil {
		b.socket.Close()
		b.box.Close()
		return err
	}
	go func() {
		if err := b.http.Serve(b.socket); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("bot socket: %w", err)
		}
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		b.alerts.Watch(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := b.getMe(ctx); err != nil {
			errc <- err
			return
		}
		if err := b.updates(ctx); err != nil {
			errc <- err
		}
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		b.log.Error("stopping", slog.Any("error", err))
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	_ = b.http.Shutdown(sctx)
	cancel()
	wg.Wait()
	b.user.Wait() // runs end with ctx; their last messages are queued
	b.sender.Wait()
	b.gateway.Close()
	if cerr := b.box.Close(); cerr != nil && err == nil {
		err = cerr
	}
	b.log.Info("notify-bot stopped")
	return err
}

// getMe learns the bot's username, retrying while the API is unreachable;
// a token the API refuses (401) stops the bot: nothing could be delivered.
func (b *Bot) getMe(ctx context.Context) error {
	wait := time.Second
	for {
		me, err := b.api.GetMe(ctx)
		if err == nil {
			b.mu.Lock()
			b.username = me.Username
			b.mu.Unlock()
			b.log.Info("connected to the Bot API", slog.String("bot", "@"+me.Username), slog.String("api", b.cfg.APIURL))
			return nil
		}
		if errors.Is(err, bot.ErrorUnauthorized) || errors.Is(err, bot.ErrorNotFound) {
			return fmt.Errorf("the Bot API at %s refused %s (%v); check the token BotFather gave", b.cfg.APIURL, EnvToken, err)
		}
		b.log.Warn("Bot API unreachable; retrying", slog.Any("error", err), slog.Duration("in", wait))
		if !sleep(ctx, wait) {
			return nil
		}
		wait = min(2*wait, time.Minute)
	}
}

// updates receives updates by long polling, or by webhook when
// TELEGRAM_WEBHOOK_URL is set.
func (b *Bot) updates(ctx context.Context) error {
	if ctx.Err() != nil {
		return nil
	}
	if b.cfg.WebhookURL == "" {
		// A webhook set earlier (by another deployment) would make
		// getUpdates fail with 409.
		if _, err := b.api.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
			b.log.Warn("deleteWebhook failed", slog.Any("error", err))
		}
		b.api.Start(ctx)
		return nil
	}
	// The secret token is made at each start and given to Telegram with the
	// webhook; an update without it is refused.
	buf := make([]byte, 32)
	_, _ = rand.Read(buf)
	secret := hex.EncodeToString(buf)
	hook := b.api.WebhookHandler()
	srv := &http.Server{Addr: b.cfg.WebhookListen, ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
			if r.Method != http.MethodPost || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			hook(w, r)
		})}
	ln, err := net.Listen("tcp", b.cfg.WebhookListen)
	if err != nil {
		return fmt.Errorf("%s: %w", EnvWebhookListen, err)
	}
	go func() { _ = srv.Serve(ln) }()
	if _, err := b.api.SetWebhook(ctx, &bot.SetWebhookParams{URL: b.cfg.WebhookURL, SecretToken: secret,
		AllowedUpdates: []string{"message", "callback_query"}}); err != nil {
		_ = srv.Close()
		return fmt.Errorf("setWebhook %s: %w", b.cfg.WebhookURL, err)
	}
	b.log.Info("receiving updates by webhook", slog.String("url", b.cfg.WebhookURL), slog.String("listen", b.cfg.WebhookListen))
	b.api.StartWebhook(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// saveOffset records each update's id before it is handled, so a restart
// does not handle it twice (a command cut short by a crash is retyped).
func (b *Bot) saveOffset(next bot.HandlerFunc) bot.HandlerFunc {
	return func(ctx context.Context, api *bot.Bot, u *models.Update) {
		if err := b.box.SetOffset(u.ID); err != nil {
			b.log.Error("could not save the update offset", slog.Any("error", err))
		}
		next(ctx, api, u)
	}
}

func (b *Bot) handle(ctx context.Context, api *bot.Bot, u *models.Update) {
	b.commands.Handle(ctx, api, u)
}

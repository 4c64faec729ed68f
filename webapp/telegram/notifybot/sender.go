package notifybot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/cenkalti/backoff/v5"
	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

// API is the part of the Bot API the sender needs (*bot.Bot has it).
type API interface {
	SendMessage(ctx context.Context, p *bot.SendMessageParams) (*models.Message, error)
	SendPhoto(ctx context.Context, p *bot.SendPhotoParams) (*models.Message, error)
}

// Sender delivers the outbox: one goroutine per chat that has queued
// messages (so a slow or rate-limited chat holds up no other), each chat's
// messages one at a time in the order accepted, under a per-chat and a
// global rate limiter (golang.org/x/time/rate) set to Telegram's limits.
//
// What the Bot API answers decides a message's fate: 200 removes it; 429
// waits its retry_after and sends again; 403 (the user blocked the bot)
// unlinks the chat and moves its messages to the failed bucket, logged;
// text Telegram cannot parse is sent again as plain text, and text too long
// is cut, both logged; any other refusal moves the message to the failed
// bucket, logged; a network error or a 5xx is retried with backoff, for
// ever. Nothing leaves the outbox without a log line.
type Sender struct {
	api     API
	box     *outbox.Outbox
	metrics *Metrics
	links   *chatlinks.Store
	log     *slog.Logger
	global  *rate.Limiter
	per     rate.Limit

	mu     sync.Mutex
	chats  map[int64]*chatQueue
	ctx    context.Context // stops the waits
	wg     sync.WaitGroup
	sent   uint64
	failed uint64
}

type chatQueue struct {
	seqs    []uint64
	running bool
	limit   *rate.Limiter
}

// sendTimeout bounds one Bot API call; a send in flight at shutdown is
// given this long to finish, so its answer is not lost.
const sendTimeout = 30 * time.Second

// NewSender returns a sender; Start runs it.
func NewSender(api API, box *outbox.Outbox, links *chatlinks.Store, m *Metrics, log *slog.Logger, perChat, global float64) *Sender {
	return &Sender{api: api, box: box, links: links, metrics: m, log: log,
		global: rate.NewLimiter(rate.Limit(global), 1), per: rate.Limit(perChat),
		chats: map[int64]*chatQueue{}, ctx: context.Background()}
}

// Start delivers what the outbox holds (left by the last run) and what is
// queued later, until ctx ends.
func (s *Sender) Start(ctx context.Context) error {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	pending, err := s.box.Pending()
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		s.log.Info("delivering messages queued before the restart", slog.Int("messages", len(pending)))
	}
	for _, e := range pending {
		s.Enqueue(e)
	}
	return nil
}

// Wait returns when every chat goroutine has stopped (after ctx ended).
func (s *Sender) Wait() { s.wg.Wait() }

// Enqueue hands a message already in the outbox to its chat's goroutine.
func (s *Sender) Enqueue(e outbox.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.chats[e.ChatID]
	if q == nil {
		q = &chatQueue{limit: rate.NewLimiter(s.per, 1)}
		s.chats[e.ChatID] = q
	}
	q.seqs = append(q.seqs, e.Seq)
	if !q.running && s.ctx.Err() == nil {
		q.running = true
		s.wg.Add(1)
		go s.run(s.ctx, e.ChatID, q)
	}
}

// Stats are counters for /health.
func (s *Sender) Stats() (sent, failed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent, s.failed
}

func (s *Sender) run(ctx context.Context, chatID int64, q *chatQueue) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(q.seqs) == 0 || ctx.Err() != nil {
			q.running = false
			s.mu.Unlock()
			return
		}
		seq := q.seqs[0]
		s.mu.Unlock()

		m, err := s.box.Get(seq)
		if err == nil {
			err = s.deliver(ctx, q, &m)
		}
		var blocked *blockedError
		switch {
		case ctx.Err() != nil:
			// Stopping: the message stays in the outbox for the next start.
			s.mu.Lock()
			q.running = false
			s.mu.Unlock()
			return
		case err == nil:
			if err := s.box.Done(seq); err != nil {
				s.log.Error("outbox: could not remove a sent message (it may be sent again after a restart)", slog.Uint64("seq", seq), slog.Any("error", err))
			}
			s.pop(q, seq, true)
			s.metrics.Latency.Observe(time.Since(m.Queued).Seconds())
		case errors.As(err, &blocked):
			s.blocked(chatID, q, blocked.reason)
		default:
			s.log.Error("telegram refused a message; kept in the outbox's failed list", slog.Int64("chat_id", chatID),
				slog.String("user", m.User), slog.Uint64("seq", seq), slog.Any("error", err))
			if ferr := s.box.Fail(seq, err.Error()); ferr != nil {
				s.log.Error("outbox: could not move a refused message", slog.Uint64("seq", seq), slog.Any("error", ferr))
			}
			s.pop(q, seq, false)
		}
	}
}

func (s *Sender) pop(q *chatQueue, seq uint64, sent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(q.seqs) > 0 && q.seqs[0] == seq {
		q.seqs = q.seqs[1:]
	}
	if sent {
		s.sent++
		s.metrics.Deliveries.WithLabelValues(ResultSent).Inc()
	} else {
		s.failed++
		s.metrics.Deliveries.WithLabelValues(ResultFailed).Inc()
	}
}

// blocked handles a 403: the chat is unlinked, and every message queued
// for it is moved to the failed list (it could never be delivered).
func (s *Sender) blocked(chatID int64, q *chatQueue, reason string) {
	user, ok, err := s.links.UnlinkChat(chatID)
	if err != nil {
		s.log.Error("could not unlink a chat that blocked the bot", slog.Int64("chat_id", chatID), slog.Any("error", err))
	}
	s.mu.Lock()
	seqs := q.seqs
	q.seqs = nil
	s.failed += uint64(len(seqs))
	s.mu.Unlock()
	s.metrics.Deliveries.WithLabelValues(ResultBlocked).Add(float64(len(seqs)))
	for _, seq := range seqs {
		if err := s.box.Fail(seq, "chat blocked the bot: "+reason); err != nil {
			s.log.Error("outbox: could not move a message of a blocked chat", slog.Uint64("seq", seq), slog.Any("error", err))
		}
	}
	s.log.Warn("the chat blocked the bot (403): unlinked; its queued messages are in the outbox's failed list",
		slog.Int64("chat_id", chatID), slog.String("user", user), slog.Bool("was_linked", ok), slog.Int("messages", len(seqs)))
}

type blockedError struct{ reason string }

func (e *blockedError) Error() string { return "blocked: " + e.reason }

// deliver sends m until the Bot API takes it or refuses it for good.
func (s *Sender) deliver(ctx context.Context, q *chatQueue, m *outbox.Message) error {
	retry := backoff.NewExponentialBackOff()
	retry.InitialInterval, retry.MaxInterval = time.Second, time.Minute
	cut := false
	for {
		if err := q.limit.Wait(ctx); err != nil {
			return err
		}
		if err := s.global.Wait(ctx); err != nil {
			return err
		}
		err := s.send(ctx, m)
		var tooMany *bot.TooManyRequestsError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &tooMany):
			wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			s.metrics.RateLimited.Inc()
			s.log.Warn("telegram asked to slow down (429); waiting", slog.Int64("chat_id", m.ChatID), slog.Duration("retry_after", wait))
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
		case errors.Is(err, bot.ErrorForbidden):
			return &blockedError{reason: err.Error()}
		case errors.Is(err, bot.ErrorBadRequest) && strings.Contains(err.Error(), "can't parse entities") && m.ParseMode != "":
			s.log.Warn("telegram could not parse the message's markup; sending it as plain text",
				slog.Int64("chat_id", m.ChatID), slog.String("parse_mode", m.ParseMode), slog.Any("error", err))
			m.ParseMode = ""
		case errors.Is(err, bot.ErrorBadRequest) && strings.Contains(err.Error(), "too long") && !cut:
			s.log.Warn("message longer than telegram takes; sending it cut, as plain text", slog.Int64("chat_id", m.ChatID))
			limit := 4096
			if m.Photo != nil {
				limit = 1024
			}
			m.Text, m.ParseMode, cut = CutUTF16(m.Text, limit), "", true
		case errors.Is(err, bot.ErrorBadRequest), errors.Is(err, bot.ErrorNotFound), bot.IsMigrateError(err):
			return err
		default:
			// Network, 5xx, 401 (a revoked token): nothing is wrong with the
			// message; retry until the API takes it.
			wait := retry.NextBackOff()
			s.metrics.Retries.Inc()
			s.log.Warn("telegram unreachable or failing; retrying", slog.Int64("chat_id", m.ChatID), slog.Duration("in", wait), slog.Any("error", err))
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
		}
	}
}

func (s *Sender) send(ctx context.Context, m *outbox.Message) error {
	// A call in flight finishes even when ctx ends (shutdown), so an answer
	// the API sends is not lost and the message is not sent twice.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	var markup models.ReplyMarkup
	if kb := AlertButtons(m.AlertID, m.Script); kb != nil {
		markup = kb
	}
	var sent *models.Message
	var err error
	if m.Photo != nil {
		sent, err = s.api.SendPhoto(callCtx, &bot.SendPhotoParams{ChatID: m.ChatID, Caption: m.Text,
			ParseMode: models.ParseMode(m.ParseMode), Photo: &models.InputFileUpload{Filename: m.PhotoName, Data: bytes.NewReader(m.Photo)},
			ReplyMarkup: markup, DisableNotification: m.DisableNotification})
	} else {
		sent, err = s.api.SendMessage(callCtx, &bot.SendMessageParams{ChatID: m.ChatID, Text: m.Text, ParseMode: models.ParseMode(m.ParseMode),
			ReplyMarkup: markup, DisableNotification: m.DisableNotification})
	}
	if err == nil && m.AlertID != "" && sent != nil {
		// Followed so that an acknowledgement on any channel edits it
		// (alertacks.go). Failing to record costs the edit, not the alert.
		am := outbox.AlertMessage{ChatID: m.ChatID, MessageID: sent.ID, Text: m.Text, ParseMode: m.ParseMode, Photo: m.Photo != nil}
		if rerr := s.box.AddAlertMessage(m.User, m.AlertID, am, time.Now().UTC()); rerr != nil {
			s.log.Warn("cannot record the alert message; it will not be edited when acknowledged", slog.Any("error", rerr))
		}
	}
	return err
}

// Reply sends an answer to a command at once (it is not queued: the user
// is waiting for it, and a lost reply is retyped), under the same limits.
func (s *Sender) Reply(ctx context.Context, p *bot.SendMessageParams) error {
	for range 3 {
		if err := s.global.Wait(ctx); err != nil {
			return err
		}
		_, err := s.api.SendMessage(ctx, p)
		var tooMany *bot.TooManyRequestsError
		if !errors.As(err, &tooMany) {
			return err
		}
		s.metrics.RateLimited.Inc()
		if !sleep(ctx, time.Duration(max(tooMany.RetryAfter, 1))*time.Second) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("telegram kept answering 429")
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// CutUTF16 shortens s to at most n UTF-16 code units (what Telegram counts),
// ending with "…" when cut, never splitting a character.
func CutUTF16(s string, n int) string {
	if len(utf16.Encode([]rune(s))) <= n {
		return s
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if used+w > n-1 {
			break
		}
		b.WriteRune(r)
		used += w
	}
	return b.String() + "…"
}

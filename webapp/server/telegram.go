package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/session"
	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
)

// The Telegram card's routes (signed-in browser; CSRF-checked).
const (
	PathTelegramStatus = "/api/telegram/status"
	PathTelegramVerify = "/api/telegram/verify"
	PathTelegramLink   = "/api/telegram/link"
	PathTelegramUnlink = "/api/telegram/unlink"
)

// Telegram is the webapp's side of the bot: the links store (shared with
// notify-bot through DATA_DIR) and the bot's socket.
type Telegram struct {
	Links *chatlinks.Store
	Bot   TelegramBot
}

// TelegramBot is what the webapp asks the bot (its socket): its @name for
// the one-click link. *botclient.Client is the real one.
type TelegramBot interface {
	Health(ctx context.Context) (botclient.Health, error)
}

// TelegramStatus is GET /api/telegram/status.
type TelegramStatus struct {
	Linked   bool       `json:"linked"`
	LinkedAt *time.Time `json:"linked_at"`
}

// TelegramLinkResponse is POST /api/telegram/link.
type TelegramLinkResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// verifyLimit: wrong 6-digit codes a user may type per CodeTTL. A code is
// one of a million; this keeps guessing someone else's pending code out of
// reach.
const verifyLimit = 5

// verifyGuard counts a user's wrong codes in the current window.
type verifyGuard struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

func (g *verifyGuard) allowed(user string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails == nil {
		g.fails = map[string][]time.Time{}
	}
	var recent []time.Time
	for _, t := range g.fails[user] {
		if now.Sub(t) < chatlinks.CodeTTL {
			recent = append(recent, t)
		}
	}
	g.fails[user] = recent
	return len(recent) < verifyLimit
}

func (g *verifyGuard) failed(user string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fails[user] = append(g.fails[user], now) // allowed ran first and made the map
}

func (s *Server) telegramBot() TelegramBot {
	if s.Telegram.Bot != nil {
		return s.Telegram.Bot
	}
	return botclient.New(s.Config.BotSocket)
}

func (s *Server) telegramStatusOf(user string) (TelegramStatus, error) {
	st := s.Telegram.Links
	l, ok, err := st.Chat(user)
	if err != nil {
		return TelegramStatus{}, err
	}
	out := TelegramStatus{Linked: ok}
	if ok {
		if t := l.LinkedTime(); !t.IsZero() {
			out.LinkedAt = &t
		}
	}
	return out, nil
}

// telegramStatus: GET /api/telegram/status -> {"linked","linked_at"}.
func (s *Server) telegramStatus(c *gin.Context, sess session.Session) error {
	st, err := s.telegramStatusOf(sess.User)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, st)
	return nil
}

// telegramVerify: POST /api/telegram/verify {"code":"123456"}, the code
// /start gave in the chat -> links the signed-in user to that chat.
func (s *Server) telegramVerify(c *gin.Context, sess session.Session) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(c.Request.Body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.New(protocol.CodeTooLarge, http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooBig.Limit)
		}
		return apperr.BadRequest(`the body must be {"code":"123456"}`)
	}
	if req.Code == "" {
		return apperr.BadRequest("code is required: send /start to the bot for one")
	}
	now := s.Now()
	if !s.tgVerify.allowed(sess.User, now) {
		return apperr.New("too_many_attempts", http.StatusTooManyRequests, "too many wrong codes; wait 10 minutes, then send /start to the bot for a new one")
	}
	st := s.Telegram.Links
	chat, err := st.VerifyPendingCode(sess.User, req.Code)
	if errors.Is(err, chatlinks.ErrBadCode) {
		s.tgVerify.failed(sess.User, now)
		return apperr.BadRequest("%s; send /start to the bot for a new one", err.Error())
	}
	if err != nil {
		return err
	}
	s.Log.Info("telegram chat linked", slog.String("user", sess.User), slog.Int64("chat_id", chat), slog.String("how", "code"))
	out, err := s.telegramStatusOf(sess.User)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// telegramLink: POST /api/telegram/link -> {"url","expires_at"}: the
// one-click link, https://t.me/<bot>?start=<code>, single-use, 10 minutes.
func (s *Server) telegramLink(c *gin.Context, sess session.Session) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	h, err := s.telegramBot().Health(ctx)
	if err != nil || h.StartURL == "" {
		if err != nil {
			s.Log.Warn("telegram bot unavailable", slog.Any("error", err))
		}
		return apperr.New(protocol.CodeUnavailable, http.StatusServiceUnavailable,
			"the Telegram bot is not running or not connected to Telegram; try again later, or send /start to the bot and enter its code")
	}
	st := s.Telegram.Links
	code, exp, err := st.NewLinkCode(sess.User)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, TelegramLinkResponse{URL: h.StartURL + code, ExpiresAt: exp.UTC()})
	return nil
}

// telegramUnlink: POST /api/telegram/unlink -> {"ok":true,"message"}.
func (s *Server) telegramUnlink(c *gin.Context, sess session.Session) error {
	st := s.Telegram.Links
	_, ok, err := st.Unlink(sess.User)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.BadRequest("no Telegram chat is linked")
	}
	s.Log.Info("telegram chat unlinked", slog.String("user", sess.User))
	c.JSON(http.StatusOK, gin.H{"ok": true, "message": "Telegram unlinked: alerts no longer go to that chat."})
	return nil
}

package notifybot

// Acknowledging alerts in Telegram, and showing acknowledgements made
// anywhere (issue 14). The Acknowledge button acts for the chat's linked
// user through the gateway's POST /ack (which only finds that user's
// alerts). Every alert message with the button is edited to say
// "Acknowledged 10:42 via Telegram" once its alert is acknowledged on any
// channel.
//
// How the bot learns of an acknowledgement made elsewhere (the desktop app,
// the portal, a script): it asks the gateway's POST /notifications/acks,
// every PollEvery, about the alerts it has sent that are not yet
// acknowledged and at most a day old: one request for up to a thousand of
// them (a gateway older than that endpoint is asked GET /notification
// once per alert). Chosen over a stream of events from the gateway
// because it needs no new channel and no replay protocol: the gateway's
// history is the one record of acknowledgements, a restart of either the
// bot or the gateway loses nothing (the followed alerts are in the outbox
// file), and a second gateway implementation (a cluster) needs nothing
// more. The cost is bounded by the alerts of the last day not yet
// acknowledged, and an edit lags by at most PollEvery.

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

// AckGateway is the part of the dispatch socket the acknowledgements need
// (*protocol.Client).
type AckGateway interface {
	Ack(ctx context.Context, user, id, via string) (protocol.AckResponse, error)
	Notification(ctx context.Context, user, id string) (protocol.NotificationState, error)
	NotificationAcks(ctx context.Context, qs []protocol.AckQuery) ([]protocol.AckState, error)
}

// EditAPI is the part of the Bot API an edit needs (*bot.Bot).
type EditAPI interface {
	EditMessageText(ctx context.Context, p *bot.EditMessageTextParams) (*models.Message, error)
	EditMessageCaption(ctx context.Context, p *bot.EditMessageCaptionParams) (*models.Message, error)
}

// DefaultPollEvery is how often the bot asks the gateway about the alerts
// it follows.
const DefaultPollEvery = 5 * time.Second

// followFor is how long an alert's messages are followed: a repeat ends
// after a day (repeat_until_ack), and an older alert is rarely acknowledged.
const followFor = 24 * time.Hour

// AlertAcks handles the Acknowledge button and edits acknowledged alerts.
type AlertAcks struct {
	Gateway   AckGateway
	API       EditAPI
	Links     *chatlinks.Store
	Box       *outbox.Outbox
	Log       *slog.Logger
	Now       func() time.Time
	Location  *time.Location // the time in "Acknowledged 10:42" (time.Local when nil)
	PollEvery time.Duration  // DefaultPollEvery when 0
}

// ViaWords names a channel in an edited message.
var ViaWords = map[string]string{
	protocol.ViaDesktop:  "the desktop app",
	protocol.ViaTelegram: "Telegram",
	protocol.ViaWeb:      "the portal",
	protocol.ViaAPI:      "a script",
}

// AckedLine is what an acknowledged alert's message gains: plain text that
// means the same in every parse mode.
func (a *AlertAcks) AckedLine(at time.Time, via string) string {
	loc := a.Location
	if loc == nil {
		loc = time.Local
	}
	words := ViaWords[via]
	if words == "" {
		words = "another channel"
	}
	return fmt.Sprintf("✅ Acknowledged %s via %s", at.In(loc).Format("15:04"), words)
}

// Press handles a press of Acknowledge in chat: it acknowledges as the
// chat's linked user and returns the callback's answer.
func (a *AlertAcks) Press(ctx context.Context, chat int64, id string) string {
	user, linked, err := a.Links.UserOf(chat)
	if err != nil || !linked {
		return "This chat is not linked to an account."
	}
	res, err := a.Gateway.Ack(ctx, user, id, protocol.ViaTelegram)
	switch {
	case protocol.IsNotFound(err):
		return "This alert is no longer in your history."
	case err != nil:
		a.Log.Warn("acknowledge from Telegram failed", slog.String("user", user), slog.Any("error", err))
		return "Could not acknowledge now; try again in a moment."
	}
	if res.Acked {
		a.Log.Info("acknowledged in Telegram", slog.String("user", user), slog.String("id", id))
	}
	a.refresh(ctx, user, id)
	if !res.Acked {
		return "Already acknowledged."
	}
	return "Acknowledged."
}

// Watch follows the alerts until ctx ends.
func (a *AlertAcks) Watch(ctx context.Context) {
	every := a.PollEvery
	if every <= 0 {
		every = DefaultPollEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		a.Poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll asks the gateway about every alert followed, once: in one request
// (or a few, past protocol.MaxAckQueries), or one per alert when the
// gateway is older than POST /notifications/acks.
func (a *AlertAcks) Poll(ctx context.Context) {
	alerts, err := a.Box.Alerts()
	if err != nil {
		a.Log.Warn("cannot read the followed alerts", slog.Any("error", err))
		return
	}
	var qs []protocol.AckQuery
	for _, al := range alerts {
		if a.now().Sub(al.First) > followFor {
			_ = a.Box.AlertDone(al.User, al.ID)
			continue
		}
		qs = append(qs, protocol.AckQuery{User: al.User, ID: al.ID})
	}
	if len(qs) == 0 {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	states, err := a.Gateway.NotificationAcks(qctx, qs)
	cancel()
	switch {
	case protocol.IsNotFound(err): // an older gateway: no such endpoint
		for _, q := range qs {
			if ctx.Err() != nil {
				return
			}
			a.refresh(ctx, q.User, q.ID)
		}
		return
	case err != nil:
		return // the gateway is down: asked again next round
	}
	forbidden := 0
	for i, q := range qs {
		if ctx.Err() != nil {
			return
		}
		if states[i].Status == protocol.AckStateForbidden {
			forbidden++
		}
		a.apply(ctx, q.User, q.ID, states[i])
	}
	if forbidden > 0 { // the bot's uid is not trusted: a deployment error
		a.Log.Warn("the gateway refuses to tell the bot about alerts of other users: is the bot's user trusted on the dispatch socket?",
			slog.Int("alerts", forbidden))
	}
}

func (a *AlertAcks) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// refresh asks the gateway about user's alert id alone and applies the
// answer.
func (a *AlertAcks) refresh(ctx context.Context, user, id string) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	st, err := a.Gateway.Notification(qctx, user, id)
	cancel()
	switch {
	case protocol.IsNotFound(err):
		a.apply(ctx, user, id, protocol.AckState{Status: protocol.AckStateNotFound})
	case err == nil:
		a.apply(ctx, user, id, protocol.StateOfNotification(st))
	} // else the gateway is down: asked again next round
}

// apply acts on the gateway's answer about user's alert id: an
// acknowledged alert's messages are edited and it is no longer followed,
// nor is one trimmed from the history (nothing to wait for).
func (a *AlertAcks) apply(ctx context.Context, user, id string, st protocol.AckState) {
	switch {
	case st.Status == protocol.AckStateNotFound:
		_ = a.Box.AlertDone(user, id)
		return
	case !st.Acked(): // not yet, or forbidden (Poll tells)
		return
	}
	al, ok, err := a.Box.Alert(user, id)
	if err != nil || !ok {
		return
	}
	at, err := time.Parse(time.RFC3339, *st.AckedAt)
	if err != nil {
		at = a.now()
	}
	via := ""
	if st.AckedVia != nil {
		via = *st.AckedVia
	}
	line := a.AckedLine(at, via)
	for _, m := range al.Messages {
		if err := a.edit(ctx, m, line); err != nil {
			a.Log.Warn("cannot edit an acknowledged alert's message", slog.Int64("chat_id", m.ChatID),
				slog.Int("message_id", m.MessageID), slog.Any("error", err))
		}
	}
	if err := a.Box.AlertDone(user, id); err != nil {
		a.Log.Warn("cannot forget an acknowledged alert", slog.Any("error", err))
	}
}

// edit replaces the message's buttons by the acknowledgement line.
func (a *AlertAcks) edit(ctx context.Context, m outbox.AlertMessage, line string) error {
	text := strings.TrimRight(m.Text, "\n") + "\n\n" + line
	mode := models.ParseMode(m.ParseMode)
	// An empty keyboard removes the buttons.
	none := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
	var err error
	if m.Photo {
		_, err = a.API.EditMessageCaption(ctx, &bot.EditMessageCaptionParams{ChatID: m.ChatID, MessageID: m.MessageID,
			Caption: CutUTF16(text, 1024), ParseMode: mode, ReplyMarkup: none})
	} else {
		_, err = a.API.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: m.ChatID, MessageID: m.MessageID,
			Text: CutUTF16(text, 4096), ParseMode: mode, ReplyMarkup: none})
	}
	return err
}

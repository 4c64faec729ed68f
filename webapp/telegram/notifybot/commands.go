package notifybot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
)

// Commands answers what users type to the bot. Every reply is HTML with
// every piece of text that is not ours escaped.
type Commands struct {
	Links  *chatlinks.Store
	Sender *Sender
	Log    *slog.Logger
	// PortalURL is the webapp, for "link your account at ...".
	PortalURL string
	// Extra handles the commands of a linked user beyond the linking ones
	// (/scripts, /run, /status, /test) and the Run buttons; nil: only the
	// linking commands.
	Extra Extra
	// Alerts handles the alerts' Acknowledge button (alertacks.go); nil:
	// the button answers that it is not in use.
	Alerts *AlertAcks
}

// Reply is an answer in the chat: HTML text and inline buttons.
type Reply struct {
	Text    string
	Buttons [][]models.InlineKeyboardButton
}

// Extra answers a linked user's commands and button presses.
type Extra interface {
	// Command answers /cmd arg; false: not one of its commands.
	Command(ctx context.Context, user string, chat int64, cmd, arg string) (Reply, bool)
	// Button answers a press of an inline button with callback data.
	Button(ctx context.Context, user string, chat int64, data string) Reply
	// Help lists its commands (HTML).
	Help() string
}

// HelpText lists the commands.
const HelpText = `<b>Analyst Alerts</b>
/start: link this chat to your account (or show as whom it is linked)
/whoami: the account this chat is linked to
/unlink: stop sending alerts to this chat
/help: this list`

// Handle is the go-telegram/bot handler for every update.
func (c *Commands) Handle(ctx context.Context, api *bot.Bot, u *models.Update) {
	switch {
	case u.CallbackQuery != nil:
		c.press(ctx, api, u.CallbackQuery)
	case u.Message != nil && u.Message.Text != "":
		c.reply(ctx, u.Message.Chat.ID, c.answer(ctx, u.Message))
	}
}

func (c *Commands) reply(ctx context.Context, chat int64, r Reply) {
	if r.Text == "" {
		return
	}
	p := &bot.SendMessageParams{ChatID: chat, Text: r.Text, ParseMode: models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: bot.True()}}
	if len(r.Buttons) > 0 {
		p.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: r.Buttons}
	}
	if err := c.Sender.Reply(ctx, p); err != nil {
		c.Log.Warn("could not reply", slog.Int64("chat_id", chat), slog.Any("error", err))
	}
}

// press answers an inline button (Run), as the chat's linked user only.
func (c *Commands) press(ctx context.Context, api *bot.Bot, q *models.CallbackQuery) {
	if q.Message.Message == nil {
		return
	}
	chat := q.Message.Message.Chat.ID
	if id, ok := strings.CutPrefix(q.Data, AckPrefix); ok && c.Alerts != nil {
		answer := c.Alerts.Press(ctx, chat, id)
		if api != nil {
			if _, err := api.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: answer}); err != nil {
				c.Log.Warn("answerCallbackQuery failed", slog.Any("error", err))
			}
		}
		return
	}
	user, linked, err := c.Links.UserOf(chat)
	answer := ""
	if err != nil || !linked || c.Extra == nil {
		answer = "This chat is not linked to an account."
	}
	if api != nil {
		if _, err := api.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: answer}); err != nil {
			c.Log.Warn("answerCallbackQuery failed", slog.Any("error", err))
		}
	}
	if answer != "" {
		return
	}
	c.reply(ctx, chat, c.Extra.Button(ctx, user, chat, q.Data))
}

// command splits "/start@bot arg" into "start" and "arg".
func command(text string) (string, string) {
	if !strings.HasPrefix(text, "/") {
		return "", strings.TrimSpace(text)
	}
	head, arg, _ := strings.Cut(strings.TrimSpace(text), " ")
	head, _, _ = strings.Cut(head[1:], "@")
	return strings.ToLower(head), strings.TrimSpace(arg)
}

func (c *Commands) answer(ctx context.Context, msg *models.Message) Reply {
	cmd, arg := command(msg.Text)
	switch cmd {
	case "", "start", "help", "whoami", "unlink":
	default:
		if c.Extra == nil {
			break
		}
		user, linked, err := c.Links.UserOf(msg.Chat.ID)
		if err == nil && linked {
			if r, ok := c.Extra.Command(ctx, user, msg.Chat.ID, cmd, arg); ok {
				return r
			}
		}
	}
	return Reply{Text: c.answerText(msg)}
}

func (c *Commands) answerText(msg *models.Message) string {
	chat := msg.Chat.ID
	private := msg.Chat.Type == models.ChatTypePrivate
	cmd, arg := command(msg.Text)
	user, linked, err := c.Links.UserOf(chat)
	if err != nil {
		c.Log.Error("could not read the linked chats", slog.Any("error", err))
		return "Something went wrong on the server; please try again later."
	}
	switch cmd {
	case "start":
		if arg != "" {
			return c.startWithCode(chat, private, arg)
		}
		if linked {
			return fmt.Sprintf("This chat is linked to <b>%s</b>. Alerts arrive here. /help lists the commands.", html.EscapeString(user))
		}
		if !private {
			return "Alerts go to private chats only: open a chat with the bot itself to link it."
		}
		code, exp, err := c.Links.NewPendingCode(chat)
		if err != nil {
			c.Log.Error("could not store a link code", slog.Any("error", err))
			return "Something went wrong on the server; please try again later."
		}
		return fmt.Sprintf("Your code: <code>%s</code>\nEnter it in the Telegram card of your dashboard at %s within %d minutes (until %s UTC).\nOr press Link there to link in one click.",
			code, html.EscapeString(c.PortalURL+"/dashboard"), int(chatlinks.CodeTTL/time.Minute), exp.UTC().Format("15:04"))
	case "help":
		return HelpText + c.extraHelp()
	case "whoami":
		if !linked {
			return c.notLinked()
		}
		l, _, _ := c.Links.Chat(user)
		return fmt.Sprintf("This chat is linked to <b>%s</b> since %s.", html.EscapeString(user), html.EscapeString(l.LinkedAt))
	case "unlink":
		if !linked {
			return c.notLinked()
		}
		if _, _, err := c.Links.UnlinkChat(chat); err != nil {
			c.Log.Error("could not unlink", slog.Any("error", err))
			return "Something went wrong on the server; please try again later."
		}
		c.Log.Info("chat unlinked by /unlink", slog.String("user", user), slog.Int64("chat_id", chat))
		return fmt.Sprintf("Unlinked: alerts for <b>%s</b> no longer come here. /start links again.", html.EscapeString(user))
	}
	if !linked && cmd != "" && c.Extra != nil {
		return c.notLinked()
	}
	return "I don't know that one. /help lists the commands."
}

func (c *Commands) extraHelp() string {
	if c.Extra == nil {
		return ""
	}
	return "\n" + c.Extra.Help()
}

func (c *Commands) notLinked() string {
	return fmt.Sprintf("This chat is not linked to an account yet. Send /start for a code, or press Link in the Telegram card at %s.",
		html.EscapeString(c.PortalURL+"/dashboard"))
}

// startWithCode is the one-click link: /start <code> from t.me/<bot>?start=<code>.
func (c *Commands) startWithCode(chat int64, private bool, code string) string {
	if !private {
		// Not even looked up: a group must not use up someone's code.
		return "Links are made in a private chat with the bot only. Open the link again from the portal, in a private chat."
	}
	user, err := c.Links.RedeemLinkCode(code, chat)
	if errors.Is(err, chatlinks.ErrBadCode) {
		c.Log.Info("refused a link code", slog.Int64("chat_id", chat))
		return "This link is not valid: it may have expired (links last 10 minutes) or been used already. Press Link in the portal again."
	}
	if err != nil {
		c.Log.Error("could not link a chat", slog.Any("error", err))
		return "Something went wrong on the server; please try again later."
	}
	c.Log.Info("chat linked", slog.String("user", user), slog.Int64("chat_id", chat), slog.String("how", "one-click"))
	return fmt.Sprintf("Linked: this chat now gets the alerts of <b>%s</b>. /help lists the commands.", html.EscapeString(user))
}

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
	// (/scripts, /run, /status, /test); nil: only the linking commands.
	Extra func(ctx context.Context, user string, chat int64, cmd, arg string) (string, bool)
}

// HelpText lists the commands.
const HelpText = `<b>Analyst Alerts</b>
/start: link this chat to your account (or show as whom it is linked)
/whoami: the account this chat is linked to
/unlink: stop sending alerts to this chat
/help: this list`

// Handle is the go-telegram/bot handler for every update.
func (c *Commands) Handle(ctx context.Context, _ *bot.Bot, u *models.Update) {
	if u.Message == nil || u.Message.Text == "" {
		return
	}
	msg := u.Message
	reply := c.answer(ctx, msg)
	if reply == "" {
		return
	}
	err := c.Sender.Reply(ctx, &bot.SendMessageParams{ChatID: msg.Chat.ID, Text: reply, ParseMode: models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: bot.True()}})
	if err != nil {
		c.Log.Warn("could not reply", slog.Int64("chat_id", msg.Chat.ID), slog.Any("error", err))
	}
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

func (c *Commands) answer(ctx context.Context, msg *models.Message) string {
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
	if linked && c.Extra != nil {
		if reply, ok := c.Extra(ctx, user, chat, cmd, arg); ok {
			return reply
		}
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
	return "\n/scripts: your scripts and their last run\n/run &lt;name&gt;: run a script now\n/status: link and desktop app status\n/test: a sample alert with a chart"
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

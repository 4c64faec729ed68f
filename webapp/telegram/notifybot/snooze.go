package notifybot

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/scripts"
)

// The snooze buttons' callback data: snooze:<script stem>:<duration> and
// unsnooze:<script stem>. Telegram allows at most 64 bytes.
const (
	snoozePrefix   = "snooze:"
	unsnoozePrefix = "unsnooze:"
	// ButtonSnoozeFor is how long the alert's Snooze button snoozes.
	ButtonSnoozeFor = "1h"
)

// SnoozeButton is the "Snooze 1 h" button for an alert of script (its
// stem); false when there is no script or its name does not fit in
// Telegram's callback data. The alert keyboard (alertbuttons.go) puts it
// beside Acknowledge.
func SnoozeButton(script string) (models.InlineKeyboardButton, bool) {
	data := snoozePrefix + script + ":" + ButtonSnoozeFor
	if script == "" || len(data) > maxCallbackData || scripts.ValidName(script+".py") != nil {
		return models.InlineKeyboardButton{}, false
	}
	return models.InlineKeyboardButton{Text: "Snooze 1 h", CallbackData: data}, true
}

// unsnoozeButton ends a script's snooze (in /scripts, beside Run).
func unsnoozeButton(script string) (models.InlineKeyboardButton, bool) {
	data := unsnoozePrefix + script
	if len(data) > maxCallbackData {
		return models.InlineKeyboardButton{}, false
	}
	return models.InlineKeyboardButton{Text: "Unsnooze", CallbackData: data}, true
}

// Snoozer is what the snooze buttons and commands need of Scripts
// (*scripts.Runner: notify-scripts snooze|unsnooze as the user, so the
// setting lands in the user's own folder where the runner reads it).
type Snoozer interface {
	Snooze(ctx context.Context, user, script, until string) (scripts.SnoozeResult, error)
	Unsnooze(ctx context.Context, user, script string) (scripts.SnoozeResult, error)
}

// snoozePress answers the Snooze and Unsnooze buttons; false: not one.
func (u *UserCommands) snoozePress(ctx context.Context, user, data string) (Reply, bool) {
	if rest, ok := strings.CutPrefix(data, snoozePrefix); ok {
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			return Reply{Text: "That button is no longer in use."}, true
		}
		return u.snooze(ctx, user, rest[:i], rest[i+1:]), true
	}
	if script, ok := strings.CutPrefix(data, unsnoozePrefix); ok {
		return u.unsnooze(ctx, user, script), true
	}
	return Reply{}, false
}

// snoozeCommand answers /snooze <name> <duration|time> and /unsnooze <name>;
// false: not one of them.
func (u *UserCommands) snoozeCommand(ctx context.Context, user, cmd, arg string) (Reply, bool) {
	switch cmd {
	case "snooze":
		name, until, ok := strings.Cut(strings.TrimSpace(arg), " ")
		if !ok || strings.TrimSpace(until) == "" {
			return Reply{Text: "Snooze which script, for how long? <code>/snooze name 1h</code> (or until a time, 2026-01-02T15:04:05Z)."}, true
		}
		return u.snooze(ctx, user, name, strings.TrimSpace(until)), true
	case "unsnooze":
		if strings.TrimSpace(arg) == "" {
			return Reply{Text: "Which script? <code>/unsnooze name</code>"}, true
		}
		return u.unsnooze(ctx, user, strings.TrimSpace(arg)), true
	}
	return Reply{}, false
}

func (u *UserCommands) snoozer() (Snoozer, bool) {
	s, ok := u.Scripts.(Snoozer)
	return s, ok
}

func (u *UserCommands) snooze(ctx context.Context, user, script, until string) Reply {
	s, ok := u.snoozer()
	if !ok {
		return Reply{Text: "Snoozing is not available on this server."}
	}
	res, err := s.Snooze(ctx, user, strings.TrimSuffix(script, ".py"), until)
	if err != nil {
		return Reply{Text: "Not snoozed: " + html.EscapeString(apperr.From(err).Message)}
	}
	when := "now"
	if res.SnoozedUntil != nil {
		when = res.SnoozedUntil.UTC().Format("2 Jan 15:04 UTC")
	}
	return Reply{Text: fmt.Sprintf("Snoozed <code>%s</code> until %s. It keeps running; its alerts are held back, and one message says how many when the snooze ends.",
		html.EscapeString(res.Script), when), Buttons: unsnoozeRow(res.Script)}
}

func unsnoozeRow(script string) [][]models.InlineKeyboardButton {
	if b, ok := unsnoozeButton(script); ok {
		return [][]models.InlineKeyboardButton{{b}}
	}
	return nil
}

func (u *UserCommands) unsnooze(ctx context.Context, user, script string) Reply {
	s, ok := u.snoozer()
	if !ok {
		return Reply{Text: "Snoozing is not available on this server."}
	}
	res, err := s.Unsnooze(ctx, user, strings.TrimSuffix(script, ".py"))
	if err != nil {
		return Reply{Text: "Not unsnoozed: " + html.EscapeString(apperr.From(err).Message)}
	}
	return Reply{Text: fmt.Sprintf("<code>%s</code> is no longer snoozed.", html.EscapeString(res.Script))}
}

// snoozeCell is a script's snooze state and button in /scripts.
func snoozeCell(stem string, until *time.Time) (string, []models.InlineKeyboardButton) {
	if until != nil {
		text := ", snoozed until " + until.UTC().Format("2 Jan 15:04 UTC")
		if b, ok := unsnoozeButton(stem); ok {
			return text, []models.InlineKeyboardButton{b}
		}
		return text, nil
	}
	if b, ok := SnoozeButton(stem); ok {
		return "", []models.InlineKeyboardButton{b}
	}
	return "", nil
}

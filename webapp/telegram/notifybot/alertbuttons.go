package notifybot

import "github.com/go-telegram/bot/models"

// AckPrefix is the Acknowledge button's callback data: ack:<notification id>.
const AckPrefix = "ack:"

// maxCallbackData is Telegram's limit on a button's callback data (bytes).
const maxCallbackData = 64

// AlertButtons is the inline keyboard of an alert message, one row:
// Acknowledge (callback ack:<id>) when the alert has an id, then Snooze 1 h
// (snooze.go) when it has a script. Each button is left out when its
// callback data would not fit Telegram's 64 bytes; nil when neither is
// there. The one place an alert's buttons are made.
func AlertButtons(id, script string) *models.InlineKeyboardMarkup {
	var row []models.InlineKeyboardButton
	if id != "" && len(AckPrefix)+len(id) <= maxCallbackData {
		row = append(row, models.InlineKeyboardButton{Text: "Acknowledge", CallbackData: AckPrefix + id})
	}
	if b, ok := SnoozeButton(script); ok {
		row = append(row, b)
	}
	if len(row) == 0 {
		return nil
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{row}}
}

package notifybot

import "github.com/go-telegram/bot/models"

// AckPrefix is the Acknowledge button's callback data: ack:<notification id>.
const AckPrefix = "ack:"

// maxCallbackData is Telegram's limit on a button's callback data (bytes).
const maxCallbackData = 64

// AlertButtons is the inline keyboard of an alert message: Acknowledge
// (callback ack:<id>). nil when the message is not an alert (no id) or the
// id is too long for Telegram's callback data. The one place an alert's
// buttons are made: another button (Snooze 1 h) joins the row here.
func AlertButtons(id string) *models.InlineKeyboardMarkup {
	if id == "" || len(AckPrefix)+len(id) > maxCallbackData {
		return nil
	}
	row := []models.InlineKeyboardButton{{Text: "Acknowledge", CallbackData: AckPrefix + id}}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{row}}
}

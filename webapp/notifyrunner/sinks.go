package notifyrunner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// Alert is one notification on its way to the sinks. Title and Message are
// the script's untrusted text; each sink escapes them for its medium.
type Alert struct {
	ID        string // fresh UUID
	User      string // local user name
	Title     string
	Message   string
	Script    string // the script's stem
	Timestamp string // RFC 3339, UTC
	ImagePath string // the published copy, readable by the bot
	ImageURL  string // where the webapp serves it
	// Data is the script's data object, already fitted to the notification
	// budget (notifyscript.FitData); the gateway passes it to the apps.
	Data json.RawMessage
	// Kind is set on the runner's own health alerts (protocol.Kind*).
	Kind string
	// Repeat marks a repeat of an unacknowledged alert (repeat.go); it
	// keeps the first's ID, so acknowledging any copy acknowledges all.
	Repeat bool
}

// Sink is one place alerts go. Deliver returns nil when the sink took the
// alert, an error wrapping ErrSkipped when the sink is not running (its
// socket is absent) or has nowhere to deliver for this user (no linked
// Telegram chat), any other error when it refused or failed.
type Sink interface {
	Name() string
	Deliver(ctx context.Context, a Alert) error
}

// ErrSkipped means a sink is not running, or has nowhere to deliver for
// this user; the alert goes to the others. Not a failure: the runner logs
// it at info level, once per pass.
var ErrSkipped = errors.New("sink skipped")

func socketAbsent(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}

// TelegramSink delivers through the Telegram bot's socket: /send_photo when
// there is an image (falling back to /send if the bot refuses the photo,
// so the text still arrives), else /send; both in HTML parse mode with the
// text escaped and cut to Telegram's limits.
type TelegramSink struct{ Bot *botclient.Client }

// Name implements Sink.
func (TelegramSink) Name() string { return "telegram" }

// Deliver implements Sink.
func (s TelegramSink) Deliver(ctx context.Context, a Alert) error {
	if a.Repeat {
		a.Title = RepeatPrefix + a.Title
	}
	if socketAbsent(s.Bot.Socket()) {
		return fmt.Errorf("%w: no bot socket at %s", ErrSkipped, s.Bot.Socket())
	}
	var photoErr error
	if a.ImagePath != "" {
		photoErr = s.Bot.SendPhoto(ctx, botclient.SendPhotoRequest{User: a.User, PhotoPath: a.ImagePath,
			Caption: botclient.Caption(a.Title, a.Message), ParseMode: botclient.ParseModeHTML, ID: a.ID})
		if photoErr == nil {
			return nil
		}
		if botclient.IsNotLinked(photoErr) {
			return errNotLinked // the text would be refused the same way
		}
		var se *botclient.StatusError
		if !errors.As(photoErr, &se) {
			return skipIfDown(photoErr)
		}
	}
	err := s.Bot.Send(ctx, botclient.SendRequest{User: a.User, Text: botclient.FormatHTML(a.Title, a.Message, a.Script), ParseMode: botclient.ParseModeHTML, Kind: a.Kind, ID: a.ID})
	if err != nil {
		return skipIfDown(err)
	}
	if photoErr != nil {
		return &PartialError{Err: fmt.Errorf("photo refused, text sent: %w", photoErr)}
	}
	return nil
}

// errNotLinked: the bot answered that the user has no linked chat (404
// not_linked), the normal state of a user who never linked Telegram.
var errNotLinked = fmt.Errorf("%w: no linked Telegram chat", ErrSkipped)

func skipIfDown(err error) error {
	if botclient.IsNotLinked(err) {
		return errNotLinked
	}
	if errors.Is(err, botclient.ErrUnavailable) || errors.Is(err, protocol.ErrGatewayUnavailable) {
		return fmt.Errorf("%w: %v", ErrSkipped, err)
	}
	return err
}

// PartialError means the sink took the alert but not all of it (the text
// without the photo). It counts as delivered; the runner logs it.
type PartialError struct{ Err error }

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// GatewaySink dispatches to the WebSocket gateway, which passes the alert to
// the user's desktop apps and keeps it in their history.
type GatewaySink struct{ Client *protocol.Client }

// Name implements Sink.
func (GatewaySink) Name() string { return "gateway" }

// Deliver implements Sink.
func (s GatewaySink) Deliver(ctx context.Context, a Alert) error {
	if socketAbsent(s.Client.Socket()) {
		return fmt.Errorf("%w: no dispatch socket at %s", ErrSkipped, s.Client.Socket())
	}
	_, err := s.Client.Dispatch(ctx, a.User, notifyscript.Notification{Notification: protocol.Notification{
		ID: a.ID, Title: a.Title, Message: a.Message, ImageURL: a.ImageURL,
		Script: a.Script, Timestamp: a.Timestamp, Repeat: a.Repeat,
	}, Data: a.Data, Kind: a.Kind})
	return skipIfDown(err)
}

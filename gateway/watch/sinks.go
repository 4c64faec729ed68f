package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
)

// BotSink sends the watcher's alerts to Telegram through the bot's socket,
// with botclient, the one client of that socket (the runner uses it too).
// The gateway's user must be able to open the socket (its group).
type BotSink struct{ Bot *botclient.Client }

// Name implements Sink.
func (BotSink) Name() string { return "telegram" }

// Send implements Sink.
func (s BotSink) Send(ctx context.Context, a Alert) error {
	if _, err := os.Stat(s.Bot.Socket()); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no bot socket at %s", s.Bot.Socket())
	}
	return s.Bot.Send(ctx, botclient.SendRequest{User: a.User, Text: botclient.FormatHTML(a.Title, a.Message, ""),
		ParseMode: botclient.ParseModeHTML, Kind: a.Kind})
}

// Notification is the watcher's alert as the gateway stores and sends it:
// the seed's fields and the kind.
type Notification struct {
	protocol.Notification
	Kind string `json:"kind"`
}

// PublishSink sends the watcher's alerts to the user's desktop apps
// through the gateway's own history and fan-out.
type PublishSink struct {
	Publish func(user string, notification json.RawMessage) (protocol.DispatchResponse, error)
}

// Name implements Sink.
func (PublishSink) Name() string { return "gateway" }

// Send implements Sink.
func (s PublishSink) Send(_ context.Context, a Alert) error {
	b, err := json.Marshal(Notification{Notification: protocol.Notification{ID: a.ID, Title: a.Title, Message: a.Message,
		Timestamp: a.Timestamp}, Kind: a.Kind})
	if err != nil {
		return err
	}
	_, err = s.Publish(a.User, b)
	return err
}

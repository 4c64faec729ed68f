package botclient

import (
	"context"
	"net/http"
)

// PathHealth is the bot's health endpoint.
const PathHealth = "/health"

// PathMetrics is the bot's Prometheus metrics (text format).
const PathMetrics = "/metrics"

// Health is the body of GET /health. The webapp learns the bot's @name
// here (for the portal's one-click link) and so needs no token of its own.
type Health struct {
	Status      string `json:"status"`
	BotUsername string `json:"bot_username"` // "" until the bot has reached the Bot API
	// StartURL is the link a code is appended to: https://t.me/<bot>?start=
	// (with a stand-in Bot API, the stand-in's page of the same shape).
	StartURL    string `json:"start_url"`
	LinkedUsers int    `json:"linked_users"`
	Queued      int    `json:"queued"`
	Sent        uint64 `json:"sent"`
	Failed      uint64 `json:"failed"`
}

// Health asks the bot how it is.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.unix.Do(ctx, http.MethodGet, PathHealth, nil, &h)
	return h, err
}

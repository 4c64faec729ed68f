package webapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Snooze holds back a script's alerts until (a duration such as "1h" from
// now, or an RFC 3339 time); the server refuses bad input with its reason.
func (c *Client) Snooze(ctx context.Context, token, name, until string) (protocol.SnoozeResponse, error) {
	var out protocol.SnoozeResponse
	if err := checkName(name); err != nil {
		return out, err
	}
	if strings.TrimSpace(until) == "" {
		return out, apperr.New(apperr.BadInput, "Say for how long to snooze (like 1h) or until when", nil)
	}
	err := c.do(ctx, http.MethodPost, protocol.PathDesktopSnooze, token, protocol.SnoozeRequest{Name: name, Until: until}, &out)
	return out, err
}

// Unsnooze ends a script's snooze now.
func (c *Client) Unsnooze(ctx context.Context, token, name string) (protocol.SnoozeResponse, error) {
	var out protocol.SnoozeResponse
	if err := checkName(name); err != nil {
		return out, err
	}
	err := c.do(ctx, http.MethodPost, protocol.PathDesktopUnsnooze, token, protocol.SnoozeRequest{Name: name}, &out)
	return out, err
}

// Quiet returns the user's quiet hours (nil: none).
func (c *Client) Quiet(ctx context.Context, token string) (*protocol.QuietHours, error) {
	var out protocol.QuietResponse
	err := c.do(ctx, http.MethodGet, protocol.PathDesktopQuiet, token, nil, &out)
	return out.Quiet, err
}

// SetQuiet sets the user's quiet hours (req.Off removes them) and returns
// what is now set.
func (c *Client) SetQuiet(ctx context.Context, token string, req protocol.QuietRequest) (*protocol.QuietHours, error) {
	var out protocol.QuietResponse
	err := c.do(ctx, http.MethodPost, protocol.PathDesktopQuiet, token, req, &out)
	return out.Quiet, err
}

func checkName(name string) error {
	if name == "" || len(name) > 255 || strings.ContainsAny(name, "/\\\x00") {
		return apperr.New(apperr.BadInput, "Not a script name", nil)
	}
	return nil
}

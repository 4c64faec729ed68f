package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// ErrGatewayUnavailable means nothing listens on the dispatch socket: the
// gateway is not running. Dispatchers treat it as "skip this sink", as the
// seed's fire-and-forget dispatch did.
var ErrGatewayUnavailable = errors.New("gateway is not running (dispatch socket unavailable)")

// ErrPermissionDenied means this process may not open the dispatch socket:
// its user is not in the socket's group. The error names the group.
var ErrPermissionDenied = errors.New("permission denied on the dispatch socket")

// Client speaks HTTP over the gateway's unix dispatch socket. It is safe for
// concurrent use and keeps connections alive between calls.
type Client struct {
	unix *UnixClient
}

// NewClient returns a client for the dispatch socket at path.
func NewClient(path string) *Client {
	if path == "" {
		path = DefaultDispatchSocket
	}
	return &Client{unix: NewUnixClient(path, UnixOptions{
		Peer:             "gateway",
		Unavailable:      ErrGatewayUnavailable,
		PermissionDenied: ErrPermissionDenied,
		MaxAnswer:        MaxDispatchBytes,
		MaxIdleConns:     64,
	})}
}

// Socket is the path the client dials.
func (c *Client) Socket() string { return c.unix.Socket() }

// Close releases idle connections.
func (c *Client) Close() { c.unix.Close() }

// Dispatch sends a notification to user. notification may be a
// Notification, any JSON-marshalable value, or a json.RawMessage.
func (c *Client) Dispatch(ctx context.Context, user string, notification any) (DispatchResponse, error) {
	raw, ok := notification.(json.RawMessage)
	if !ok {
		b, err := json.Marshal(notification)
		if err != nil {
			return DispatchResponse{}, fmt.Errorf("encode notification: %w", err)
		}
		raw = b
	}
	var out DispatchResponse
	err := c.unix.Do(ctx, http.MethodPost, PathDispatch, DispatchRequest{User: user, Notification: raw}, &out)
	return out, err
}

// Health reads the gateway's health.
func (c *Client) Health(ctx context.Context) (HealthResponse, error) {
	var out HealthResponse
	err := c.unix.Do(ctx, http.MethodGet, PathHealth, nil, &out)
	return out, err
}

// Revoke refuses user's tokens issued before notBefore and closes the live
// connections that use them.
func (c *Client) Revoke(ctx context.Context, user string, notBefore int64) (RevokeResponse, error) {
	var out RevokeResponse
	err := c.unix.Do(ctx, http.MethodPost, PathRevoke, RevokeRequest{User: user, NotBefore: notBefore}, &out)
	return out, err
}

package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"syscall"
	"time"
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
	socket string
	http   *http.Client
}

// NewClient returns a client for the dispatch socket at path.
func NewClient(path string) *Client {
	if path == "" {
		path = DefaultDispatchSocket
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Client{socket: path, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// Socket is the path the client dials.
func (c *Client) Socket() string { return c.socket }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

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
	err := c.do(ctx, http.MethodPost, PathDispatch, DispatchRequest{User: user, Notification: raw}, &out)
	return out, err
}

// Health reads the gateway's health.
func (c *Client) Health(ctx context.Context) (HealthResponse, error) {
	var out HealthResponse
	err := c.do(ctx, http.MethodGet, PathHealth, nil, &out)
	return out, err
}

// Revoke refuses user's tokens issued before notBefore and closes the live
// connections that use them.
func (c *Client) Revoke(ctx context.Context, user string, notBefore int64) (RevokeResponse, error) {
	var out RevokeResponse
	err := c.do(ctx, http.MethodPost, PathRevoke, RevokeRequest{User: user, NotBefore: notBefore}, &out)
	return out, err
}

// StatusError is a non-2xx answer from the gateway.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("gateway answered %d: %s", e.Status, e.Message)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	// The host is ignored by the unix dialer; "gateway" reads well in logs.
	req, err := http.NewRequestWithContext(ctx, method, "http://gateway"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if isUnavailable(err) {
			return fmt.Errorf("%w: %s", ErrGatewayUnavailable, c.socket)
		}
		if errors.Is(err, os.ErrPermission) { // EACCES, EPERM on connect
			return c.permissionError()
		}
		return fmt.Errorf("gateway request %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxDispatchBytes))
	if err != nil {
		return fmt.Errorf("read gateway answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e ErrorResponse
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return &StatusError{Status: resp.StatusCode, Message: e.Error}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode gateway answer: %w", err)
	}
	return nil
}

// permissionError says which group the user is missing from, so a runner's
// log reads as the fix rather than as "connection failed".
func (c *Client) permissionError() error {
	who := "this user"
	if u, err := user.Current(); err == nil {
		who = "user " + u.Username
	}
	if g := socketGroup(c.socket); g != "" {
		return fmt.Errorf("%w %s: is %s in group %s (the socket's group)?", ErrPermissionDenied, c.socket, who, g)
	}
	return fmt.Errorf("%w %s: may %s open it (its folder and group)?", ErrPermissionDenied, c.socket, who)
}

func isUnavailable(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) ||
		errors.Is(err, syscall.ECONNREFUSED)
}

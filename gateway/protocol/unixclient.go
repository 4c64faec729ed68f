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

// UnixClient speaks JSON over HTTP on a unix socket, with ErrorResponse as
// every error body: the one such client, under the gateway's dispatch
// client (Client) and the Telegram bot's (webapp/botclient). It is safe
// for concurrent use and keeps connections alive between calls.
type UnixClient struct {
	socket string
	o      UnixOptions
	http   *http.Client
}

// UnixOptions say whom a UnixClient talks to and how it reports failures.
type UnixOptions struct {
	// Peer names the server in errors ("gateway answered 403: ...") and
	// in the request's host, which the unix dialer ignores.
	Peer string
	// Unavailable is wrapped, with the socket's path, when nothing
	// listens there: callers treat it as "that part is not running".
	Unavailable error
	// PermissionDenied, when set, is wrapped with the socket's group when
	// this process may not open the socket, so a log reads as the fix.
	PermissionDenied error
	Timeout          time.Duration // a whole request (default 10 s)
	MaxAnswer        int64         // bytes read of an answer (default 64 KiB)
	MaxIdleConns     int           // connections kept for reuse (default 2)
}

// NewUnixClient returns a client for the socket at path.
func NewUnixClient(path string, o UnixOptions) *UnixClient {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxAnswer <= 0 {
		o.MaxAnswer = 64 << 10
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConns:        o.MaxIdleConns,
		MaxIdleConnsPerHost: o.MaxIdleConns,
		IdleConnTimeout:     30 * time.Second,
	}
	return &UnixClient{socket: path, o: o, http: &http.Client{Transport: tr, Timeout: o.Timeout}}
}

// Socket is the path the client dials.
func (c *UnixClient) Socket() string { return c.socket }

// Close releases idle connections.
func (c *UnixClient) Close() { c.http.CloseIdleConnections() }

// StatusError is a non-2xx answer: its status, and the ErrorResponse's
// code and message (the status text when the body had none).
type StatusError struct {
	Peer    string
	Status  int
	Code    string
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", e.Peer, e.Status, e.Message)
}

// Do sends body (nil: none) as JSON with method to path and decodes a 2xx
// answer into out (nil: the answer is not read). Any other answer is a
// *StatusError.
func (c *UnixClient) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+c.o.Peer+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if isUnavailable(err) {
			return fmt.Errorf("%w: %s", c.o.Unavailable, c.socket)
		}
		if c.o.PermissionDenied != nil && errors.Is(err, os.ErrPermission) { // EACCES, EPERM on connect
			return c.permissionError()
		}
		return fmt.Errorf("%s request %s %s: %w", c.o.Peer, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxAnswer))
	if err != nil {
		return fmt.Errorf("read %s answer: %w", c.o.Peer, err)
	}
	if resp.StatusCode/100 != 2 {
		var e ErrorResponse
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return &StatusError{Peer: c.o.Peer, Status: resp.StatusCode, Code: e.Code, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s answer: %w", c.o.Peer, err)
	}
	return nil
}

// permissionError says which group the user is missing from, so a runner's
// log reads as the fix rather than as "connection failed".
func (c *UnixClient) permissionError() error {
	who := "this user"
	if u, err := user.Current(); err == nil {
		who = "user " + u.Username
	}
	if g := socketGroup(c.socket); g != "" {
		return fmt.Errorf("%w %s: is %s in group %s (the socket's group)?", c.o.PermissionDenied, c.socket, who, g)
	}
	return fmt.Errorf("%w %s: may %s open it (its folder and group)?", c.o.PermissionDenied, c.socket, who)
}

func isUnavailable(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) ||
		errors.Is(err, syscall.ECONNREFUSED)
}

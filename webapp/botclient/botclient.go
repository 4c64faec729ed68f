// Package botclient talks to the Telegram bot's unix socket (notify-bot,
// webapp/cmd/notify-bot; see docs/telegram.md): POST /send {"user","text",
// "parse_mode"} and POST /send_photo {"user","photo_path","caption"}. It also
// formats an alert for Telegram, escaping the untrusted text for the parse
// mode it picks.
package botclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// DefaultSocket is where the bot listens (NOTIFY_BOT_SOCKET overrides it).
const DefaultSocket = "/run/notify-bot/bot.sock"

// Paths and the parse mode used.
const (
	PathSend      = "/send"
	PathSendPhoto = "/send_photo"
	ParseModeHTML = "HTML"
)

// Telegram's limits: a message's text and a photo's caption, in characters.
const (
	MaxTextRunes    = 4096
	MaxCaptionRunes = 1024
)

// ErrUnavailable means nothing listens on the socket: the bot is not running.
var ErrUnavailable = errors.New("telegram bot is not running (socket unavailable)")

// SendRequest is the body of POST /send.
type SendRequest struct {
	User      string `json:"user"`
	Text      string `json:"text"`
	ParseMode string `json:"parse_mode,omitempty"`
}

// SendPhotoRequest is the body of POST /send_photo. The bot reads the photo
// from PhotoPath, so it must be a file the bot can read (the published copy,
// not the user's own file in a 0750 home).
type SendPhotoRequest struct {
	User      string `json:"user"`
	PhotoPath string `json:"photo_path"`
	Caption   string `json:"caption,omitempty"`
}

// Client sends to the bot socket. Safe for concurrent use.
type Client struct {
	socket string
	http   *http.Client
}

// New returns a client for the socket at path ("" = DefaultSocket).
func New(path string) *Client {
	if path == "" {
		path = DefaultSocket
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	return &Client{socket: path, http: &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}},
	}}
}

// Socket is the path the client dials.
func (c *Client) Socket() string { return c.socket }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Send posts a text message.
func (c *Client) Send(ctx context.Context, r SendRequest) error { return c.post(ctx, PathSend, r) }

// SendPhoto posts a photo with a caption.
func (c *Client) SendPhoto(ctx context.Context, r SendPhotoRequest) error {
	return c.post(ctx, PathSendPhoto, r)
}

// StatusError is a non-2xx answer of the bot.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string { return fmt.Sprintf("bot answered %d: %s", e.Status, e.Message) }

func (c *Client) post(ctx context.Context, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://bot"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%w: %s", ErrUnavailable, c.socket)
		}
		return fmt.Errorf("bot request %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := http.StatusText(resp.StatusCode)
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &StatusError{Status: resp.StatusCode, Message: msg}
	}
	return nil
}

// FormatHTML renders an alert as a Telegram HTML message: the title in bold,
// the message, the script's name in italics. Every piece of text is escaped
// (a title such as "<b>" shows as written, never as markup) and the message
// is cut so the whole stays within Telegram's limit.
func FormatHTML(title, message, script string) string {
	var head, foot string
	if title != "" {
		head = "<b>" + html.EscapeString(cut(title, 256)) + "</b>\n"
	}
	if script != "" {
		foot = "\n<i>" + html.EscapeString(cut(script, 128)) + "</i>"
	}
	// The limit counts the text after the markup is parsed; leave room for
	// the title, the script and the separators.
	room := MaxTextRunes - utf8.RuneCountInString(title) - utf8.RuneCountInString(script) - 8
	body := html.EscapeString(cut(message, room))
	if body == "" && head == "" {
		body = "(empty alert)"
	}
	return strings.TrimSuffix(head+body, "\n") + foot
}

// Caption is the plain-text caption of a photo: title and message, cut to
// Telegram's caption limit. /send_photo has no parse mode, so nothing is
// escaped: the bot sends the caption as plain text.
func Caption(title, message string) string {
	s := strings.TrimSpace(title + "\n" + message)
	return cut(s, MaxCaptionRunes)
}

// cut shortens s to at most n runes, ending with "…" when it was cut. It
// works on runes of the unescaped text, so it never splits a character or
// an HTML entity.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

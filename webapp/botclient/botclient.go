// Package botclient talks to the Telegram bot's unix socket (notify-bot,
// webapp/cmd/notify-bot; see docs/telegram.md): POST /send {"user","text",
// "parse_mode"} and POST /send_photo {"user","photo_path","caption"}. It also
// formats an alert for Telegram, escaping the untrusted text for the parse
// mode it picks.
package botclient

import (
	"context"
	"errors"
	"html"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// DefaultSocket is where the bot listens (NOTIFY_BOT_SOCKET overrides it).
const DefaultSocket = "/run/notify-bot/bot.sock"

// Paths and the parse mode used.
const (
	PathSend      = "/send"
	PathSendPhoto = "/send_photo"
	ParseModeHTML = "HTML"
)

// Telegram's limits on a message's text and a photo's caption. Telegram
// counts UTF-16 code units, not characters: an emoji outside the Basic
// Multilingual Plane takes two.
const (
	MaxTextUnits    = 4096
	MaxCaptionUnits = 1024
)

// The codes of the bot socket's JSON errors ({"error","code"}); notify-bot
// answers with these and clients tell the cases apart by them.
const (
	CodeBadRequest = "bad_request" // 400: a missing or malformed field
	CodeBadPhoto   = "bad_photo"   // 400: photo_path is not a PNG/JPEG the caller may send
	CodeForbidden  = "forbidden"   // 403: the caller may not send for that user
	CodeNotLinked  = "not_linked"  // 404: the user has no linked Telegram chat
	CodeTooLarge   = "too_large"   // 413: the body is over the bot's limit
	CodeInternal   = "internal"    // 500
)

// ErrUnavailable means nothing listens on the socket: the bot is not running.
var ErrUnavailable = errors.New("telegram bot is not running (socket unavailable)")

// SendRequest is the body of POST /send.
type SendRequest struct {
	User      string `json:"user"`
	Text      string `json:"text"`
	ParseMode string `json:"parse_mode,omitempty"`
	// Kind is set on the alerts the system raises about itself
	// (protocol.Kind*); the seed's bot ignores it.
	Kind string `json:"kind,omitempty"`
	// ID is the alert's notification id (optional): the bot adds the
	// Acknowledge button and edits the message once it is acknowledged.
	ID string `json:"id,omitempty"`
}

// SendPhotoRequest is the body of POST /send_photo. The bot reads the photo
// from PhotoPath, so it must be a file the bot can read (the published copy,
// not the user's own file in a 0750 home).
type SendPhotoRequest struct {
	User      string `json:"user"`
	PhotoPath string `json:"photo_path"`
	Caption   string `json:"caption,omitempty"`
	ParseMode string `json:"parse_mode,omitempty"`
	ID        string `json:"id,omitempty"` // as SendRequest's
}

// Client sends to the bot socket. Safe for concurrent use.
type Client struct {
	unix *protocol.UnixClient
}

// New returns a client for the socket at path ("" = DefaultSocket).
func New(path string) *Client {
	if path == "" {
		path = DefaultSocket
	}
	return &Client{unix: protocol.NewUnixClient(path, protocol.UnixOptions{
		Peer:         "bot",
		Unavailable:  ErrUnavailable,
		Timeout:      15 * time.Second,
		MaxIdleConns: 2,
	})}
}

// Socket is the path the client dials.
func (c *Client) Socket() string { return c.unix.Socket() }

// Close releases idle connections.
func (c *Client) Close() { c.unix.Close() }

// Send posts a text message.
func (c *Client) Send(ctx context.Context, r SendRequest) error {
	return c.unix.Do(ctx, http.MethodPost, PathSend, r, nil)
}

// SendPhoto posts a photo with a caption.
func (c *Client) SendPhoto(ctx context.Context, r SendPhotoRequest) error {
	return c.unix.Do(ctx, http.MethodPost, PathSendPhoto, r, nil)
}

// StatusError is a non-2xx answer of the bot ("bot answered 502: ...").
type StatusError = protocol.StatusError

// IsNotLinked reports whether err is the bot's answer that the user has no
// linked Telegram chat: nothing to deliver to, not a failure.
func IsNotLinked(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == CodeNotLinked
}

// FormatHTML renders an alert as a Telegram HTML message: the title in bold,
// the message, the script's name in italics. Every piece of text is escaped
// (a title such as "<b>" shows as written, never as markup) and cut so that
// the whole message, markup included, is at most MaxTextUnits UTF-16 code
// units: more than Telegram counts after parsing the markup, so it always
// fits.
func FormatHTML(title, message, script string) string {
	var head, foot string
	if title != "" {
		head = "<b>" + EscapeHTML(title, 512) + "</b>\n"
	}
	if script != "" {
		foot = "\n<i>" + EscapeHTML(script, 256) + "</i>"
	}
	body := EscapeHTML(message, MaxTextUnits-UTF16Len(head)-UTF16Len(foot))
	if body == "" && head == "" {
		body = "(empty alert)"
	}
	return strings.TrimSuffix(head+body, "\n") + foot
}

// Caption is a photo's caption in Telegram's HTML parse mode (send it with
// ParseMode: ParseModeHTML): the title in bold and the message, escaped and
// cut to MaxCaptionUnits UTF-16 code units, markup included.
func Caption(title, message string) string {
	var head string
	if title != "" {
		head = "<b>" + EscapeHTML(title, 256) + "</b>"
		if message != "" {
			head += "\n"
		}
	}
	return head + EscapeHTML(message, MaxCaptionUnits-UTF16Len(head))
}

// EscapeHTML escapes s for Telegram's HTML parse mode and cuts the escaped
// text to at most maxUnits UTF-16 code units, ending with "…" when it was
// cut. It measures the text as escaped and cuts between characters, so an
// entity ("&amp;") or a surrogate pair (an emoji) is never split.
func EscapeHTML(s string, maxUnits int) string {
	escaped := html.EscapeString(s)
	if UTF16Len(escaped) <= maxUnits {
		return escaped
	}
	if maxUnits <= 0 {
		return ""
	}
	var b strings.Builder
	room := maxUnits - 1 // for the "…"
	for _, r := range s {
		piece := html.EscapeString(string(r))
		n := UTF16Len(piece)
		if n > room {
			break
		}
		b.WriteString(piece)
		room -= n
	}
	b.WriteString("…")
	return b.String()
}

// UTF16Len is the length of s in UTF-16 code units, as Telegram counts.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

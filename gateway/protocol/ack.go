package protocol

// Acknowledgements (issue 14): an alert's life after delivery. An app sends
// {"type":"ack","id":...} on its WebSocket; the webapp, the Telegram bot
// and scripts POST /ack on the dispatch socket. The gateway stores each
// acknowledgement as an event in the user's history, under its own seq, and
// sends every connection of the user an "acked" frame, so an app that was
// away learns of it on resume with the same no-gap, no-duplicate guarantee
// as alerts.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

// Frame types of acknowledgements.
const (
	TypeAck   = "ack"   // app -> gateway
	TypeAcked = "acked" // gateway -> every connection of the user (stored, replayed)
)

// Dispatch socket paths of acknowledgements.
const (
	PathAck          = "/ack"
	PathNotification = "/notification"
)

// Where an acknowledgement came from (the acked frame's via).
const (
	ViaDesktop  = "desktop"  // an app's ack frame; never accepted on the dispatch socket
	ViaTelegram = "telegram" // the bot's Acknowledge button
	ViaWeb      = "web"      // the portal
	ViaAPI      = "api"      // anything else on the dispatch socket (scripts, tools)
)

// MaxIDBytes bounds a notification id in an ack: ids the gateway makes
// are UUIDs; one a dispatcher chose is a short name.
const MaxIDBytes = 256

// AckFrame is what an app sends to acknowledge one of its user's alerts.
type AckFrame struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// AckedFrame is the stored event of an acknowledgement, as the gateway
// sends it: ID names the acknowledged notification; Seq and Epoch are the
// event's own place in the user's history (a client resumes after it as
// after any frame); At is RFC 3339 (UTC); Via is one of the Via constants.
type AckedFrame struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Seq   uint64 `json:"seq"`
	Epoch string `json:"epoch"`
	At    string `json:"at"`
	Via   string `json:"via"`
}

// AckedFrameBytes builds the stored acked frame.
func AckedFrameBytes(id, via string, seq uint64, epoch string, at time.Time) ([]byte, error) {
	b, err := json.Marshal(AckedFrame{Type: TypeAcked, ID: id, Seq: seq, Epoch: epoch,
		At: at.UTC().Format(time.RFC3339), Via: via})
	if err != nil {
		return nil, err
	}
	return b, CheckFrameSize(b)
}

// AckRequest is the body of POST /ack.
type AckRequest struct {
	User string `json:"user"`
	ID   string `json:"id"`
	Via  string `json:"via,omitempty"` // telegram, web or api (the default)
}

// AckResponse answers POST /ack: Acked is false when the notification was
// acknowledged before (not an error); Seq is the new event's seq.
type AckResponse struct {
	Acked bool   `json:"acked"`
	Seq   uint64 `json:"seq,omitempty"`
}

// NotificationState answers GET /notification: the notification's seq in
// the user's history and its acknowledgement (both null when none).
type NotificationState struct {
	ID       string  `json:"id"`
	Seq      uint64  `json:"seq"`
	AckedAt  *string `json:"acked_at"`
	AckedVia *string `json:"acked_via"`
}

// Acked says whether the notification was acknowledged.
func (s NotificationState) Acked() bool { return s.AckedAt != nil }

// ErrNotInHistory is an id the user's history does not hold (never sent,
// or trimmed past the history limit): 404 on the dispatch socket.
var ErrNotInHistory = errors.New("no notification with this id in the user's history")

// CheckAckID says whether id can name a notification.
func CheckAckID(id string) error {
	if id == "" {
		return errors.New("missing id")
	}
	if len(id) > MaxIDBytes || !utf8.ValidString(id) || hasControl(id) {
		return fmt.Errorf("id must be plain text of at most %d bytes", MaxIDBytes)
	}
	return nil
}

func checkUser(user string) error {
	if user == "" {
		return errors.New("missing user")
	}
	if len(user) > MaxUserBytes || !utf8.ValidString(user) || hasControl(user) {
		return errors.New("user must be a plain name of at most 256 bytes")
	}
	return nil
}

// ParseAck decodes and checks a POST /ack body; an empty via becomes api.
// desktop is refused: only an app's own connection acknowledges as one.
func ParseAck(body []byte) (AckRequest, error) {
	var req AckRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return AckRequest{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if err := checkUser(req.User); err != nil {
		return AckRequest{}, err
	}
	if err := CheckAckID(req.ID); err != nil {
		return AckRequest{}, err
	}
	switch req.Via {
	case "":
		req.Via = ViaAPI
	case ViaTelegram, ViaWeb, ViaAPI:
	default:
		return AckRequest{}, fmt.Errorf("via must be %s, %s or %s", ViaTelegram, ViaWeb, ViaAPI)
	}
	return req, nil
}

// ParseNotificationQuery checks GET /notification's user and id.
func ParseNotificationQuery(q url.Values) (user, id string, err error) {
	user, id = q.Get("user"), q.Get("id")
	if err := checkUser(user); err != nil {
		return "", "", err
	}
	if err := CheckAckID(id); err != nil {
		return "", "", err
	}
	return user, id, nil
}

// Ack acknowledges user's notification id. An id the history does not
// hold is a *StatusError with Status 404 (IsNotFound).
func (c *Client) Ack(ctx context.Context, user, id, via string) (AckResponse, error) {
	var out AckResponse
	err := c.unix.Do(ctx, http.MethodPost, PathAck, AckRequest{User: user, ID: id, Via: via}, &out)
	return out, err
}

// Notification reads the state of user's notification id. An id the
// history does not hold is a *StatusError with Status 404 (IsNotFound).
func (c *Client) Notification(ctx context.Context, user, id string) (NotificationState, error) {
	var out NotificationState
	q := url.Values{"user": {user}, "id": {id}}
	err := c.unix.Do(ctx, http.MethodGet, PathNotification+"?"+q.Encode(), nil, &out)
	return out, err
}

// IsNotFound says err is the dispatch socket's 404.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// PathRecent lists a user's recent alerts with their state (the portal).
const PathRecent = "/recent"

// MaxRecent bounds GET /recent's limit (and is its default).
const MaxRecent = 50

// RecentAlert is one alert of GET /recent: its shown fields (untrusted
// text, as dispatched), its seq, how many times it was sent (a repeat
// keeps the id), and its acknowledgement (nil when none).
type RecentAlert struct {
	ID        string  `json:"id"`
	Title     string  `json:"title,omitempty"`
	Message   string  `json:"message,omitempty"`
	Script    string  `json:"script,omitempty"`
	Timestamp string  `json:"timestamp,omitempty"`
	Seq       uint64  `json:"seq"`
	Sent      int     `json:"sent"`
	AckedAt   *string `json:"acked_at"`
	AckedVia  *string `json:"acked_via"`
}

// RecentResponse answers GET /recent: newest first.
type RecentResponse struct {
	Alerts []RecentAlert `json:"alerts"`
}

// ParseRecentQuery checks GET /recent's user and limit (default and most
// MaxRecent).
func ParseRecentQuery(q url.Values) (user string, limit int, err error) {
	user = q.Get("user")
	if err := checkUser(user); err != nil {
		return "", 0, err
	}
	limit = MaxRecent
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxRecent {
			return "", 0, fmt.Errorf("limit must be a number from 1 to %d", MaxRecent)
		}
		limit = n
	}
	return user, limit, nil
}

// Recent lists user's recent alerts, newest first, at most limit.
func (c *Client) Recent(ctx context.Context, user string, limit int) (RecentResponse, error) {
	var out RecentResponse
	q := url.Values{"user": {user}, "limit": {strconv.Itoa(limit)}}
	err := c.unix.Do(ctx, http.MethodGet, PathRecent+"?"+q.Encode(), nil, &out)
	return out, err
}

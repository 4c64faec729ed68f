package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Frame types on the WebSocket. The seed's names; never rename them.
const (
	TypeAuth         = "auth"
	TypeAuthOK       = "auth_ok"
	TypeAuthError    = "auth_error"
	TypeNotification = "notification"
	TypePing         = "ping"
	TypePong         = "pong"
)

// MaxFrameBytes is the largest frame either side accepts. A bigger frame
// closes the connection with 1009 (message too big). The gateway refuses
// (413) a dispatch whose notification frame would be bigger, so nothing it
// stores can be refused by an app (see CheckFrameSize).
const MaxFrameBytes = 64 << 10

// ErrFrameTooLarge is a notification whose frame, as the gateway sends it
// (with type, seq, epoch, id and timestamp added), would exceed
// MaxFrameBytes. The dispatch socket answers it with 413.
var ErrFrameTooLarge = fmt.Errorf("notification too large: as a frame it would exceed %d bytes, the most the apps accept", MaxFrameBytes)

// CheckFrameSize says whether a built frame fits what the apps accept:
// nil, or ErrFrameTooLarge with the size.
func CheckFrameSize(frame []byte) error {
	if len(frame) > MaxFrameBytes {
		return fmt.Errorf("%w (%d bytes)", ErrFrameTooLarge, len(frame))
	}
	return nil
}

// AuthFrame is the client's first frame. Resume is our extension: a client
// that sends it gets the notifications it missed (see docs/protocol.md); a
// seed client leaves it out and sees exactly the seed protocol.
type AuthFrame struct {
	Type   string  `json:"type"`
	Token  string  `json:"token"`
	Resume *Resume `json:"resume,omitempty"`
}

// Resume names the last notification a client has seen: the history it came
// from (Epoch) and its place in it (Seq).
type Resume struct {
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
}

// AuthOK answers a valid auth frame. Replay is our extension, present only
// when the client sent resume: how many stored notifications follow before
// the live ones, so the app can tell "while you were away" from new alerts.
type AuthOK struct {
	Type     string `json:"type"`
	Username string `json:"username"`
	Replay   *int   `json:"replay,omitempty"`
}

// AuthError answers a refused auth frame; the server closes right after it.
// Code is one of ErrorResponse's codes (CodeUnauthorized, CodeTokenRevoked:
// the token; CodeBadRequest, CodeUnavailable, CodeInternal: not the token),
// for a program to branch on (TokenRefused); Message is for a person.
// Code is optional both ways: a gateway older than it sends none, and an
// app older than it ignores it.
type AuthError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// TokenRefused says whether the gateway refused the token itself, so the
// app should refresh it (and sign out if that is refused too), rather than
// the connection (a malformed frame, too many connections, the gateway's
// own trouble), which only needs a reconnect later. An auth_error is the
// WebSocket's 401: one without a code, from a gateway older than the code,
// counts as refused, as every auth_error did before.
func (e AuthError) TokenRefused() bool { return TokenRefused(http.StatusUnauthorized, e.Code) }

// Ping is sent by the server every heartbeat interval; the client answers Pong.
type Ping struct {
	Type string `json:"type"`
}

// Notification is what a dispatcher sends and what the app shows. Every
// field is optional for the gateway, which passes fields through as they
// were dispatched (unknown ones included).
type Notification struct {
	ID        string `json:"id,omitempty"`
	Title     string `json:"title,omitempty"`
	Message   string `json:"message,omitempty"`
	ImageURL  string `json:"image_url,omitempty"`
	Script    string `json:"script,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
	// Repeat marks the runner's repeat of an alert nobody acknowledged yet
	// (repeat_until_ack): same id as the first, shown again.
	Repeat bool `json:"repeat,omitempty"`
	// Silent: delivered during the user's quiet hours; the app stores and
	// lists it but shows no banner and plays no sound.
	Silent bool `json:"silent,omitempty"`
	// Urgent: the script said "urgent": true, which breaks through quiet
	// hours (never set together with Silent).
	Urgent bool `json:"urgent,omitempty"`
}

// NotificationFrame is a notification as the gateway sends it. Seq and Epoch
// are our extension: Seq counts the user's stored notifications (+1 each) and
// Epoch names the history Seq belongs to. A client resumes with both.
type NotificationFrame struct {
	Type string `json:"type"`
	Notification
	Seq   uint64 `json:"seq,omitempty"`
	Epoch string `json:"epoch,omitempty"`
}

// ClientFrame is any frame a client sends after auth, decoded far enough
// to route it: pong, and ack with the id it acknowledges.
type ClientFrame struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// ErrNotAuthFrame is returned by ParseAuthFrame when the first frame is valid
// JSON but not an auth frame with a token.
var ErrNotAuthFrame = errors.New("first message must be {\"type\":\"auth\",\"token\":\"...\"}")

// ParseAuthFrame decodes a client's first frame. It accepts exactly one JSON
// object whose type is "auth" with a non-empty token; extra fields are
// ignored, as the seed did.
func ParseAuthFrame(data []byte) (AuthFrame, error) {
	if len(data) > MaxFrameBytes {
		return AuthFrame{}, fmt.Errorf("auth frame too large (%d bytes)", len(data))
	}
	f, ok := fastAuthFrame(data)
	if !ok {
		if err := json.Unmarshal(data, &f); err != nil {
			return AuthFrame{}, fmt.Errorf("invalid JSON in auth frame: %w", err)
		}
	}
	if f.Type != TypeAuth || f.Token == "" {
		return AuthFrame{}, ErrNotAuthFrame
	}
	return f, nil
}

// ParseClientFrame decodes a frame a client sends after auth. An unknown
// type is not an error: the caller ignores it.
func ParseClientFrame(data []byte) (ClientFrame, error) {
	var f ClientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return ClientFrame{}, fmt.Errorf("invalid JSON frame: %w", err)
	}
	return f, nil
}

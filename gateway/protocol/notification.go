package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// MaxUserBytes bounds a username on the dispatch socket.
const MaxUserBytes = 256

// ErrMissingField is the seed's 400: a dispatch without user or notification.
var ErrMissingField = errors.New("missing user or notification")

// ParseDispatch decodes and checks a POST /dispatch body. The notification
// must be a non-empty JSON object; its fields are kept as sent.
func ParseDispatch(body []byte) (DispatchRequest, error) {
	var req DispatchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return DispatchRequest{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if req.User == "" || len(req.Notification) == 0 || isEmptyOrNull(req.Notification) {
		return DispatchRequest{}, ErrMissingField
	}
	if len(req.User) > MaxUserBytes || !utf8.ValidString(req.User) || hasControl(req.User) {
		return DispatchRequest{}, errors.New("user must be a plain name of at most 256 bytes")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(req.Notification, &obj); err != nil || obj == nil {
		return DispatchRequest{}, errors.New("notification must be a JSON object")
	}
	return req, nil
}

func isEmptyOrNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if bytes.Equal(t, []byte("null")) {
		return true
	}
	if len(t) >= 2 && t[0] == '{' && t[len(t)-1] == '}' {
		return len(bytes.TrimSpace(t[1:len(t)-1])) == 0
	}
	return false
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// NotificationFrameBytes turns a dispatched notification into the frame
// the gateway sends: the dispatched fields unchanged, plus type, seq and
// epoch; id and timestamp are filled in only when the dispatcher left them out.
func NotificationFrameBytes(notification json.RawMessage, seq uint64, epoch string, now time.Time) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(notification, &obj); err != nil || obj == nil {
		return nil, errors.New("notification must be a JSON object")
	}
	obj["type"] = json.RawMessage(`"` + TypeNotification + `"`)
	if seq > 0 {
		obj["seq"] = json.RawMessage(strconv.FormatUint(seq, 10))
		e, _ := json.Marshal(epoch)
		obj["epoch"] = e
	}
	if _, ok := obj["id"]; !ok {
		obj["id"] = json.RawMessage(`"` + uuid.NewString() + `"`)
	}
	if _, ok := obj["timestamp"]; !ok {
		obj["timestamp"] = json.RawMessage(`"` + now.UTC().Format(time.RFC3339) + `"`)
	}
	return json.Marshal(obj)
}

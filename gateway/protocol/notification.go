package protocol

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	if req, ok := fastDispatch(body); ok {
		return checkDispatch(req)
	}
	var req DispatchRequest // on the heap (Unmarshal's argument): only here
	if err := json.Unmarshal(body, &req); err != nil {
		return DispatchRequest{}, fmt.Errorf("invalid JSON: %w", err)
	}
	return checkDispatch(req)
}

// checkDispatch is ParseDispatch's checks of a decoded request.
func checkDispatch(req DispatchRequest) (DispatchRequest, error) {
	if req.User == "" || len(req.Notification) == 0 || isEmptyOrNull(req.Notification) {
		return DispatchRequest{}, ErrMissingField
	}
	if len(req.User) > MaxUserBytes || !utf8.ValidString(req.User) || hasControl(req.User) {
		return DispatchRequest{}, errors.New("user must be a plain name of at most 256 bytes")
	}
	// The decode has checked the notification's syntax; it must also be
	// an object.
	if t := bytes.TrimSpace(req.Notification); t[0] != '{' {
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
// A frame over MaxFrameBytes is refused with ErrFrameTooLarge: the apps
// would refuse it, so it must never be stored or sent.
func NotificationFrameBytes(notification json.RawMessage, seq uint64, epoch string, now time.Time) ([]byte, error) {
	frame, err := notificationFrame(notification, seq, epoch, now)
	if err != nil {
		return nil, err
	}
	if err := CheckFrameSize(frame); err != nil {
		return nil, err
	}
	return frame, nil
}

// EpochBytes is the length of the epochs the gateway makes (16 hex digits).
const EpochBytes = 16

// CheckNotificationSize says, before dispatching, whether notification
// fits in a frame wherever the gateway puts it: it is built as the gateway
// builds it, with the widest seq and epoch. nil, ErrFrameTooLarge, or a
// malformed-notification error.
func CheckNotificationSize(notification json.RawMessage) error {
	_, err := NotificationFrameBytes(notification, ^uint64(0), strings.Repeat("0", EpochBytes), time.Now())
	return err
}

func notificationFrame(notification json.RawMessage, seq uint64, epoch string, now time.Time) ([]byte, error) {
	body := bytes.TrimSpace(notification)
	if len(body) < 2 || body[0] != '{' {
		return nil, errors.New("notification must be a JSON object")
	}
	// Fast path, taken by every well-behaved dispatcher: our fields are not
	// among the dispatched ones, so the frame is our fields followed by the
	// dispatched object's members as they are, with no decode and encode.
	// A key with an escape (which could spell one of ours) takes the slow
	// path, which rebuilds the object.
	if !json.Valid(body) {
		return nil, errors.New("notification is not valid JSON")
	}
	keys, plain := topLevelKeys(body)
	if plain && keys&(keyType|keySeq|keyEpoch) == 0 {
		hasID, hasTS := keys&keyID != 0, keys&keyTimestamp != 0
		out := make([]byte, 0, len(body)+160)
		out = append(out, `{"type":"notification"`...)
		if seq > 0 {
			out = append(out, `,"seq":`...)
			out = strconv.AppendUint(out, seq, 10)
			out = append(out, `,"epoch":`...)
			out = appendQuoted(out, epoch)
		}
		if !hasID {
			out = append(out, `,"id":"`...)
			out = appendNewID(out)
			out = append(out, '"')
		}
		if !hasTS {
			out = append(out, `,"timestamp":"`...)
			out = now.UTC().AppendFormat(out, time.RFC3339)
			out = append(out, '"')
		}
		inner := bytes.TrimSpace(body[1:])
		if inner[0] != '}' {
			out = append(out, ',')
		}
		return append(out, inner...), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, errors.New("notification must be a JSON object")
	}
	obj["type"] = json.RawMessage(`"` + TypeNotification + `"`)
	delete(obj, "seq")
	delete(obj, "epoch")
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

// frameKeys are the keys of a notification the gateway sets in its frame,
// as a set of bits.
type frameKeys uint8

const (
	keyType frameKeys = 1 << iota
	keySeq
	keyEpoch
	keyID
	keyTimestamp
)

// topLevelKeys lists the keys of a valid JSON object's top level, among
// those we care about. plain is false when a top-level key holds an escape,
// so its real name is not its bytes.
func topLevelKeys(obj []byte) (keys frameKeys, plain bool) {
	plain = true
	members(obj, func(key, _ []byte) bool {
		if bytes.IndexByte(key, '\\') >= 0 {
			plain = false
			return false
		}
		switch string(key) {
		case "type":
			keys |= keyType
		case "seq":
			keys |= keySeq
		case "epoch":
			keys |= keyEpoch
		case "id":
			keys |= keyID
		case "timestamp":
			keys |= keyTimestamp
		}
		return true
	})
	return keys, plain
}

// appendNewID appends a new random (version 4) UUID, as uuid.NewString
// makes it, without its two allocations (the UUID read through an
// io.Reader, and the string): one per dispatch.
func appendNewID(out []byte) []byte {
	var id uuid.UUID
	rand.Read(id[:])          // never fails (crypto/rand crashes the program instead)
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // variant RFC 4122
	var text [36]byte
	hex.Encode(text[0:8], id[0:4])
	text[8] = '-'
	hex.Encode(text[9:13], id[4:6])
	text[13] = '-'
	hex.Encode(text[14:18], id[6:8])
	text[18] = '-'
	hex.Encode(text[19:23], id[8:10])
	text[23] = '-'
	hex.Encode(text[24:], id[10:])
	return append(out, text[:]...)
}

// appendQuoted is strconv.AppendQuote for the epochs the gateway makes
// (hex digits: nothing to escape, copied as they are), and AppendQuote
// itself for any other string.
func appendQuoted(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return strconv.AppendQuote(out, s)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

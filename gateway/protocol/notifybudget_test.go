package protocol

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// A notification at every bound, with text that escapes to the most bytes
// and data exactly at its bound, still fits in one frame once the gateway
// has added its fields, on the fast path and on the slow one.
func TestNotificationBudgetFitsAFrame(t *testing.T) {
	if MaxNotificationDataBytes < 32<<10 {
		t.Fatalf("data budget %d is smaller than intended", MaxNotificationDataBytes)
	}
	data := `{"k":"` + strings.Repeat("x", MaxNotificationDataBytes-len(`{"k":""}`)) + `"}`
	if len(data) != MaxNotificationDataBytes {
		t.Fatal(len(data))
	}
	n := struct {
		Notification
		Data json.RawMessage `json:"data"`
	}{Notification{
		ID:        "0f8fad5b-d9cb-469f-a165-70867728950e",
		Title:     strings.Repeat("<", MaxNotificationTitleRunes),
		Message:   strings.Repeat("\u2028", MaxNotificationMessageRunes),
		ImageURL:  PathImagesPrefix + strings.Repeat("a", 128) + ".png",
		Script:    strings.Repeat("&", 125),
		Timestamp: "2026-01-30T10:00:00Z",
	}, json.RawMessage(data)}
	body, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	epoch := strings.Repeat("e", 16)
	for name, b := range map[string][]byte{
		"fast path": body,
		// A dispatcher that sets "type" itself takes the slow path.
		"slow path": append([]byte(`{"type":"x",`), body[1:]...),
	} {
		frame, err := NotificationFrameBytes(b, math.MaxUint64, epoch, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(frame) > MaxFrameBytes {
			t.Errorf("%s: frame of a notification at every bound is %d bytes, over %d", name, len(frame), MaxFrameBytes)
		}
		if envelope := len(frame) - len(data) - MaxJSONBytesPerRune*(MaxNotificationTitleRunes+MaxNotificationMessageRunes); envelope > NotificationEnvelopeBytes/2 {
			t.Errorf("%s: envelope is %d bytes, leaving too little room", name, envelope)
		}
	}
}

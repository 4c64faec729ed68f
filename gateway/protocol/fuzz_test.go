package protocol

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseAuthFrame: the first frame a stranger sends. It must never
// panic, and whatever it accepts is a real auth frame.
func FuzzParseAuthFrame(f *testing.F) {
	for _, s := range []string{`{"type":"auth","token":"a.b.c"}`, `{"type":"auth","token":"x","resume":{"epoch":"e","seq":3}}`,
		`{"type":"pong"}`, `{`, `null`, `{"type":"auth","token":1}`, `{"type":"auth","token":"t","resume":{"seq":-1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAuthFrame(data)
		if err != nil {
			return
		}
		if a.Type != TypeAuth || a.Token == "" {
			t.Fatalf("accepted a non-auth frame: %+v", a)
		}
	})
}

// FuzzParseDispatch: a dispatch body. Whatever it accepts becomes a valid
// notification frame carrying the dispatched user's fields.
func FuzzParseDispatch(f *testing.F) {
	for _, s := range []string{`{"user":"petr","notification":{"title":"x"}}`, `{"user":"","notification":{}}`,
		`{"user":"a","notification":null}`, `{"user":"a","notification":[1]}`, `{"user":"a","notification":{"type":"x","seq":"y"}}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ParseDispatch(data)
		if err != nil {
			return
		}
		if req.User == "" {
			t.Fatal("accepted an empty user")
		}
		frame, err := NotificationFrameBytes(req.Notification, 7, "ep", time.Unix(0, 0))
		if err != nil {
			t.Fatalf("accepted dispatch does not make a frame: %v", err)
		}
		var nf NotificationFrame
		if err := json.Unmarshal(frame, &nf); err != nil {
			// Fields of other types than ours (e.g. a numeric title) are
			// passed through; only the envelope must be right.
			var m map[string]json.RawMessage
			if json.Unmarshal(frame, &m) != nil {
				t.Fatalf("frame is not a JSON object: %s", frame)
			}
			if string(m["type"]) != `"notification"` || string(m["seq"]) != "7" {
				t.Fatalf("bad envelope: %s", frame)
			}
			return
		}
		if nf.Type != TypeNotification || nf.Seq != 7 || nf.Epoch != "ep" || nf.ID == "" {
			t.Fatalf("bad frame: %s", frame)
		}
	})
}

package protocol

import (
	"encoding/json"
	"errors"
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
		if errors.Is(err, ErrFrameTooLarge) {
			return // refused with 413: too big for the apps
		}
		if err != nil {
			t.Fatalf("accepted dispatch does not make a frame: %v", err)
		}
		var in, out map[string]json.RawMessage
		if err := json.Unmarshal(req.Notification, &in); err != nil {
			t.Fatalf("accepted notification is not an object: %v", err)
		}
		if err := json.Unmarshal(frame, &out); err != nil {
			t.Fatalf("frame is not a JSON object: %s", frame)
		}
		if string(out["type"]) != `"notification"` || string(out["seq"]) != "7" || string(out["epoch"]) != `"ep"` {
			t.Fatalf("bad envelope: %s", frame)
		}
		if len(out["id"]) == 0 || len(out["timestamp"]) == 0 {
			t.Fatalf("no id or timestamp: %s", frame)
		}
		for k, v := range in {
			if k == "type" || k == "seq" || k == "epoch" {
				continue
			}
			if !jsonEqual(v, out[k]) {
				t.Fatalf("field %q changed: %s -> %s", k, v, out[k])
			}
		}
	})
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

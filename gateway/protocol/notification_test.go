package protocol

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNotificationFrameBytes(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"fast path":         `{"id":"x","title":"T","timestamp":"2026-01-30T10:00:00Z","data":{"k":[1,2]}}`,
		"fills id and time": ` { "title" : "T" } `,
		"overrides type":    `{"type":"evil","seq":99,"epoch":"old","title":"T"}`,
		"escaped key":       `{"\u0074ype":"evil","title":"T"}`,
		"id inside a value": `{"title":"the \"id\" word","message":"id"}`,
		"nested id":         `{"title":"T","data":{"id":1,"timestamp":2,"type":3}}`,
	}
	for name, in := range cases {
		out, err := NotificationFrameBytes(json.RawMessage(in), 5, "ep", now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s: output not JSON: %s", name, out)
		}
		if m["type"] != "notification" || m["seq"] != 5.0 || m["epoch"] != "ep" || m["title"] == nil {
			t.Errorf("%s: %s", name, out)
		}
		if id, _ := m["id"].(string); id == "" {
			t.Errorf("%s: no id: %s", name, out)
		}
		if ts, _ := m["timestamp"].(string); ts == "" {
			t.Errorf("%s: no timestamp: %s", name, out)
		}
	}
	// Dispatched values are kept exactly.
	out, _ := NotificationFrameBytes(json.RawMessage(cases["fast path"]), 1, "e", now)
	var nf NotificationFrame
	json.Unmarshal(out, &nf)
	if nf.ID != "x" || nf.Timestamp != "2026-01-30T10:00:00Z" {
		t.Errorf("dispatched id/timestamp changed: %s", out)
	}
	for _, bad := range []string{`[]`, `"x"`, `{`, ``} {
		if _, err := NotificationFrameBytes(json.RawMessage(bad), 1, "e", now); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestNotificationFrameOverMaxFrameBytesIsRefused(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	epoch := strings.Repeat("e", EpochBytes)
	// A notification with id and timestamp, padded so that its frame at
	// seq 7 is exactly MaxFrameBytes: it fits; one byte more does not.
	pad := func(n int) json.RawMessage {
		return json.RawMessage(`{"id":"i","timestamp":"t","message":"` + strings.Repeat("x", n) + `"}`)
	}
	base, err := NotificationFrameBytes(pad(0), 7, epoch, now)
	if err != nil {
		t.Fatal(err)
	}
	exact := MaxFrameBytes - len(base)
	frame, err := NotificationFrameBytes(pad(exact), 7, epoch, now)
	if err != nil || len(frame) != MaxFrameBytes {
		t.Fatalf("frame of exactly MaxFrameBytes: %d bytes, %v", len(frame), err)
	}
	if _, err := NotificationFrameBytes(pad(exact+1), 7, epoch, now); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("frame one byte over: %v, want ErrFrameTooLarge", err)
	}
	// The slow path (a key that needs rebuilding) is bounded the same way,
	// after its re-encoding (which escapes < > & and so can grow).
	slow := json.RawMessage(`{"\u0074ype":"x","message":"` + strings.Repeat("<", MaxFrameBytes/3) + `"}`)
	if _, err := NotificationFrameBytes(slow, 7, epoch, now); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("slow path frame grown past the limit: %v", err)
	}

	// CheckNotificationSize assumes the widest seq: a notification that
	// fits at seq 7 by a byte or two does not fit everywhere.
	if err := CheckNotificationSize(pad(exact - 40)); err != nil {
		t.Fatalf("CheckNotificationSize refused a notification with room to spare: %v", err)
	}
	if err := CheckNotificationSize(pad(exact)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("CheckNotificationSize at seq 2^64-1: %v, want ErrFrameTooLarge", err)
	}
	// Without id and timestamp, the gateway's own are counted.
	noID := json.RawMessage(`{"message":"` + strings.Repeat("x", exact) + `"}`)
	if err := CheckNotificationSize(noID); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("CheckNotificationSize ignores the id and timestamp the gateway adds: %v", err)
	}
}

// The id the gateway fills in is a random (version 4) UUID, new each time.
func TestNotificationFrameFillsARandomUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		out, err := NotificationFrameBytes(json.RawMessage(`{"title":"T"}`), 1, "e", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var nf NotificationFrame
		if err := json.Unmarshal(out, &nf); err != nil {
			t.Fatal(err)
		}
		id, err := uuid.Parse(nf.ID)
		if err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122 || id.String() != nf.ID {
			t.Fatalf("id %q: %v, version %v, variant %v", nf.ID, err, id.Version(), id.Variant())
		}
		if seen[nf.ID] {
			t.Fatalf("id %q twice", nf.ID)
		}
		seen[nf.ID] = true
	}
}

// A dispatched notification's frame is built in one allocation, the frame
// itself (it is built once per dispatch, on the store's committer).
func TestNotificationFrameAllocatesOnlyTheFrame(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector moves values to the heap")
	}
	n := json.RawMessage(`{"title":"t","message":"1234567890"}`)
	now := time.Now()
	if a := testing.AllocsPerRun(1000, func() { NotificationFrameBytes(n, 7, "0123456789abcdef", now) }); a > 1 {
		t.Fatalf("%v allocations per frame, want 1", a)
	}
}

// A dispatch in the dispatchers' form is decoded in two allocations: the
// user's name and the notification's copy.
func TestParseDispatchAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector moves values to the heap")
	}
	body := []byte(`{"user":"petr","notification":{"title":"t","message":"1234567890"}}`)
	if a := testing.AllocsPerRun(1000, func() { ParseDispatch(body) }); a > 2 {
		t.Fatalf("%v allocations per dispatch body, want 2", a)
	}
}

// appendQuoted writes what strconv.AppendQuote writes, for any string.
func TestAppendQuotedIsAppendQuote(t *testing.T) {
	for _, s := range []string{"", "0123456789abcdef", "ep", `a"b`, `a\b`, "a\x00", "a\x7f", "a\x1f", "é", "\xff", " ~", "😀"} {
		if got, want := string(appendQuoted([]byte("x"), s)), string(strconv.AppendQuote([]byte("x"), s)); got != want {
			t.Errorf("%q: %s, AppendQuote %s", s, got, want)
		}
	}
}

func FuzzAppendQuoted(f *testing.F) {
	f.Add("0123456789abcdef")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQuoted(nil, s)), strconv.AppendQuote(nil, s); got != string(want) {
			t.Fatalf("%q: %s, AppendQuote %s", s, got, want)
		}
	})
}

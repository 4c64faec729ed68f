package hub

import (
	"encoding/json"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/store"
)

// countingSub is a live connection that counts its deliveries.
type countingSub struct{ frames [][]byte }

func (s *countingSub) Deliver(frame []byte) bool { s.frames = append(s.frames, frame); return true }
func (s *countingSub) IssuedAt() int64           { return 0 }
func (s *countingSub) Revoke()                   {}

// Publish stores and delivers a notification with no allocation of its
// own: what a dispatch allocates is the frame and the store's own (its
// index entry), the same with or without the hub.
func TestPublishAllocatesNothingOfItsOwn(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector moves values to the heap")
	}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := New(st, 5, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	sub := &countingSub{frames: make([][]byte, 0, 4096)}
	a, _, err := h.Attach("petr", sub, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Detach()
	n := json.RawMessage(`{"title":"t","message":"1234567890"}`)
	viaHub := testing.AllocsPerRun(1000, func() {
		if res, err := h.Publish("petr", n); err != nil || res.Sent != 1 {
			t.Fatalf("publish: %+v %v", res, err)
		}
	})
	frame := []byte(`{"type":"notification","title":"t"}`)
	direct := testing.AllocsPerRun(1000, func() {
		if _, err := st.Append("petr", func(uint64, string) ([]byte, error) { return frame, nil }, nil); err != nil {
			t.Fatal(err)
		}
	})
	// The hub's publish adds the frame (built per dispatch) and nothing else.
	if viaHub > direct+1 {
		t.Fatalf("Publish allocates %v per notification, the store's Append alone %v (+1 for the frame)", viaHub, direct)
	}
	if len(sub.frames) != 1001 {
		t.Fatalf("%d deliveries, want 1001", len(sub.frames))
	}
}

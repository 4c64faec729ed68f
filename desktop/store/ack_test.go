package store

import (
	"path/filepath"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func TestAckMarksAcknowledgedAndReadAndMovesTheCursor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(Item{ID: "a", Seq: 1, Epoch: "e"}, Item{ID: "b", Seq: 2, Epoch: "e"})
	if s.Unread() != 2 {
		t.Fatal("unread")
	}
	changed, err := s.Ack(protocol.AckedFrame{Type: protocol.TypeAcked, ID: "a", Seq: 3, Epoch: "e", At: "2026-01-01T10:42:00Z", Via: "telegram"})
	if err != nil || !changed {
		t.Fatalf("ack: %v %v", changed, err)
	}
	if it, _ := s.Get("a"); !it.Read || it.AckedAt != "2026-01-01T10:42:00Z" || it.AckedVia != "telegram" {
		t.Fatalf("item: %+v", it)
	}
	if s.Unread() != 1 || *s.Cursor() != (protocol.Resume{Epoch: "e", Seq: 3}) {
		t.Fatalf("unread %d cursor %+v", s.Unread(), s.Cursor())
	}
	// An unknown id moves only the cursor; the state survives a reopen.
	if changed, _ := s.Ack(protocol.AckedFrame{ID: "gone", Seq: 4, Epoch: "e"}); changed {
		t.Fatal("unknown id changed an item")
	}
	s2, _ := Open(path)
	if it, _ := s2.Get("a"); it.AckedVia != "telegram" || s2.Cursor().Seq != 4 {
		t.Fatalf("reopened: %+v %+v", it, s2.Cursor())
	}
}

// A repeat of an alert nobody acknowledged comes back to the top, unread,
// and counts as new (a banner); once acknowledged, a late repeat does not.
func TestRepeatComesBackUnlessAcknowledged(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "n.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.Add(Item{ID: "a", Seq: 1, Epoch: "e"}, Item{ID: "b", Seq: 2, Epoch: "e"})
	s.MarkAllRead()
	added, _ := s.Add(Item{ID: "a", Seq: 3, Epoch: "e", Repeat: true})
	if len(added) != 1 || s.List()[0].ID != "a" || s.Unread() != 1 || len(s.List()) != 2 {
		t.Fatalf("repeat: added %v list %+v", added, s.List())
	}
	if added, _ := s.Add(Item{ID: "a", Seq: 4, Epoch: "e"}); len(added) != 0 {
		t.Fatal("a plain duplicate counted as new")
	}
	s.Ack(protocol.AckedFrame{ID: "a", Seq: 5, Epoch: "e", At: "2026-01-01T00:00:00Z", Via: "web"})
	if added, _ := s.Add(Item{ID: "a", Seq: 6, Epoch: "e", Repeat: true}); len(added) != 0 || s.Unread() != 0 {
		t.Fatal("a repeat after the ack came back")
	}
}

// An acknowledgement waits in the file until the gateway confirms it; one
// whose alert was acknowledged meanwhile or left the list is forgotten.
func TestPendingAcksSurviveAReopenUntilConfirmed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(Item{ID: "a", Seq: 1, Epoch: "e"}, Item{ID: "b", Seq: 2, Epoch: "e"}, Item{ID: "c", Seq: 3, Epoch: "e"})
	for _, id := range []string{"b", "a", "b", "c", "gone"} {
		if err := s.QueueAck(id); err != nil {
			t.Fatal(err)
		}
	}
	s.Ack(protocol.AckedFrame{ID: "c", Seq: 4, Epoch: "e", At: "2026-01-01T10:42:00Z"}) // confirmed
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.PendingAcks()
	if err != nil || len(got) != 2 || got[0] != "b" || got[1] != "a" {
		t.Fatalf("pending after reopen: %q %v", got, err)
	}
	// Acknowledged on another device while this one was away: the acked
	// frame arrives in the replay, and nothing is left to send.
	s2.Ack(protocol.AckedFrame{ID: "b", Seq: 5, Epoch: "e", At: "2026-01-01T10:43:00Z"})
	s2.Ack(protocol.AckedFrame{ID: "a", Seq: 6, Epoch: "e", At: "2026-01-01T10:43:00Z"})
	if got, _ := s2.PendingAcks(); len(got) != 0 {
		t.Fatalf("pending after confirmation: %q", got)
	}
}

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func frame(id string, seq uint64) protocol.NotificationFrame {
	return protocol.NotificationFrame{Type: "notification", Seq: seq, Epoch: "e1",
		Notification: protocol.Notification{ID: id, Title: "t " + id, Message: "line1\nline2"}}
}

func TestAddDedupTrimAndPersist(t *testing.T) {
	p := filepath.Join(t.TempDir(), "notifications.json")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	changes := 0
	s.OnChange(func() { changes++ })
	now := time.Unix(1700000000, 0)
	for i := 1; i <= 60; i++ {
		if _, err := s.Add(FromFrame(frame(fmt.Sprint("n", i), uint64(i)), now)); err != nil {
			t.Fatal(err)
		}
	}
	added, _ := s.Add(FromFrame(frame("n60", 61), now)) // a duplicate id
	if len(added) != 0 {
		t.Fatalf("duplicate added: %v", added)
	}
	l := s.List()
	if len(l) != Capacity || l[0].ID != "n60" || l[Capacity-1].ID != "n11" {
		t.Fatalf("len %d first %s last %s", len(l), l[0].ID, l[len(l)-1].ID)
	}
	if s.Unread() != 50 || changes != 61 {
		t.Fatalf("unread %d changes %d", s.Unread(), changes)
	}
	if c := s.Cursor(); c == nil || c.Seq != 61 || c.Epoch != "e1" {
		t.Fatalf("cursor %+v", c)
	}
	if ok, _ := s.MarkRead("n59"); !ok {
		t.Fatal("mark read")
	}
	if ok, _ := s.MarkRead("nope"); ok {
		t.Fatal("marked a missing item")
	}
	s2, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Unread() != 49 || len(s2.List()) != 50 || s2.Cursor().Seq != 61 {
		t.Fatalf("reloaded: unread %d len %d", s2.Unread(), len(s2.List()))
	}
	it, _ := s2.Get("n60")
	if it.Message != "line1\nline2" {
		t.Fatalf("message %q", it.Message)
	}
	s2.MarkAllRead()
	if s2.Unread() != 0 {
		t.Fatal("mark all read")
	}
	s2.Clear()
	s3, _ := Open(p)
	if len(s3.List()) != 0 || s3.Cursor().Seq != 61 {
		t.Fatal("clear must empty the list and keep the cursor")
	}
}

func TestFramesWithoutIDAreStillDeduplicatedBySeq(t *testing.T) {
	s, _ := Open(filepath.Join(t.TempDir(), "n.json"))
	now := time.Now()
	a := FromFrame(frame("", 7), now)
	b := FromFrame(frame("", 7), now.Add(time.Second))
	s.Add(a, b)
	if len(s.List()) != 1 || !strings.HasPrefix(a.ID, "seq:e1:7") {
		t.Fatalf("%v", s.List())
	}
}

func TestCorruptFileIsMovedAsideNotLost(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "n.json")
	os.WriteFile(p, []byte("{not json"), 0o600)
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.List()) != 0 {
		t.Fatal("expected empty")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), "n.json.corrupt-") {
		t.Fatalf("entries %v", ents)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ents[0].Name()))
	if string(b) != "{not json" {
		t.Fatal("content changed")
	}
}

package links

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestSeedFileIsReadAndKept(t *testing.T) {
	dir := t.TempDir()
	seed := `{"petr":{"linked_at":"2026-01-30T10:00:00Z"}}`
	if err := os.WriteFile(filepath.Join(dir, UsersFile), []byte(seed), 0o660); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	at, ok := s.Linked("petr")
	if !ok || !at.Equal(time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("seed entry: %v %v", at, ok)
	}
	if err := s.MarkLinked("ana", time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, UsersFile))
	var got map[string]map[string]string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["petr"]["linked_at"] != "2026-01-30T10:00:00Z" || got["ana"]["linked_at"] != "2026-02-01T09:00:00Z" || len(got) != 2 {
		t.Fatalf("file: %s", b)
	}
}

func TestCorruptFileIsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, UsersFile)
	os.WriteFile(p, []byte(`{"petr":`), 0o660)
	if _, err := Open(dir); err == nil {
		t.Fatal("opened a corrupt file")
	}
	if b, _ := os.ReadFile(p); string(b) != `{"petr":` {
		t.Fatal("corrupt file was changed")
	}
}

func TestConcurrentWritesLoseNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			u := fmt.Sprintf("user%d", i)
			if err := s.MarkLinked(u, now); err != nil {
				t.Error(err)
			}
			if i%2 == 0 {
				if _, err := s.Unlink(u, now); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	re, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(re.Users()); n != 32 {
		t.Fatalf("%d users on disk, want 32", n)
	}
	if re.Cutoff("user0") == 0 || re.Cutoff("user1") != 0 {
		t.Fatal("cutoffs not persisted as expected")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
}

func TestUnlinkNotLinked(t *testing.T) {
	s, _ := Open(t.TempDir())
	if _, err := s.Unlink("nobody", time.Now()); !errors.Is(err, ErrNotLinked) {
		t.Fatal(err)
	}
	if s.Cutoff("nobody") != 0 {
		t.Fatal("a refused unlink stored a cutoff")
	}
}

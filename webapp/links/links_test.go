package links

import (
	"context"
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
				if _, err := s.Unlink(u, func() time.Time { return now }); err != nil {
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
	if _, err := s.Unlink("nobody", time.Now); !errors.Is(err, ErrNotLinked) {
		t.Fatal(err)
	}
	if s.Cutoff("nobody") != 0 {
		t.Fatal("a refused unlink stored a cutoff")
	}
}

// A token issued before an unlink, even in the same second, is revoked by
// it; one issued after it in that second is not possible (Issue waits the
// second out); a refresh presenting a token the cutoff revokes is refused
// in the same step that would sign the new one.
func TestIssueAndUnlinkAreOrdered(t *testing.T) {
	s, _ := Open(t.TempDir())
	base := time.Unix(1_800_000_000, 0)
	clock := base.Add(300 * time.Millisecond)
	now := func() time.Time { return clock }
	sign := func(at time.Time) (string, error) { return fmt.Sprint(at.Unix()), nil }
	ctx := context.Background()

	tok, err := s.Issue(ctx, "ana", nil, now, sign)
	if err != nil || tok != fmt.Sprint(base.Unix()) {
		t.Fatalf("issue: %q %v", tok, err)
	}
	if _, ok := s.Linked("ana"); !ok {
		t.Fatal("issue did not mark the user linked")
	}
	clock = base.Add(700 * time.Millisecond) // the unlink, same second
	cutoff, err := s.Unlink("ana", now)
	if err != nil || cutoff <= base.Unix() {
		t.Fatalf("cutoff %d for a token issued at %d: %v", cutoff, base.Unix(), err)
	}
	// The refresh of the old token: refused, nothing signed, not linked again.
	oldIAT := base.Unix()
	revoked := func(c int64) bool { return oldIAT < c }
	signed := false
	if _, err := s.Issue(ctx, "ana", revoked, now, func(time.Time) (string, error) { signed = true; return "", nil }); !errors.Is(err, ErrRevoked) || signed {
		t.Fatalf("refresh of a revoked token: %v, signed %v", err, signed)
	}
	if err := s.Admit("ana", revoked, clock); !errors.Is(err, ErrRevoked) {
		t.Fatalf("admit of a revoked token: %v", err)
	}
	if _, ok := s.Linked("ana"); ok {
		t.Fatal("a revoked token linked the user again")
	}
	// A new authorization in the unlink's second waits for the next one
	// (the real clock moves; the fake one is moved by the wait here).
	realNow := func() time.Time {
		if clock.Unix() < cutoff {
			clock = clock.Add(100 * time.Millisecond)
		}
		return clock
	}
	tok, err = s.Issue(ctx, "ana", nil, realNow, sign)
	if err != nil || tok != fmt.Sprint(cutoff) {
		t.Fatalf("issue after unlink: %q %v, want iat %d", tok, err, cutoff)
	}
}

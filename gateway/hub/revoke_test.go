package hub

import (
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

const day = 24 * time.Hour

// An expired revocation cutoff (protocol.RevocationExpiredBefore) is
// forgotten, in memory and in state.db: at start, and when
// DropExpiredRevocations runs later; a cutoff that can still refuse a
// token stays, as does one set after the prune read the store.
func TestExpiredRevocationsAreDropped(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := func(st *store.Store, user string, at time.Time) {
		t.Helper()
		if _, err := st.SetRevoked(user, at.Unix()); err != nil {
			t.Fatal(err)
		}
	}
	set(st, "gone", now.Add(-protocol.TokenLifetime-protocol.RevocationSlack-time.Minute))
	set(st, "aging", now.Add(-protocol.TokenLifetime+day))
	set(st, "fresh", now)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := New(st, 5, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() map[string]int64 {
		t.Helper()
		m, err := st.Revocations()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	check := func(when string, want ...string) {
		t.Helper()
		m := stored()
		for _, u := range []string{"gone", "aging", "fresh"} {
			keep := false
			for _, w := range want {
				keep = keep || w == u
			}
			if _, ok := m[u]; ok != keep {
				t.Errorf("%s: %q in state.db = %v, want %v", when, u, ok, keep)
			}
			if (h.Cutoff(u) != 0) != keep {
				t.Errorf("%s: %q's cutoff in memory = %d, want kept %v", when, u, h.Cutoff(u), keep)
			}
		}
	}
	check("at start", "aging", "fresh")

	n, err := h.DropExpiredRevocations(now.Add(2 * day))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("dropped %d, want 1 (aging)", n)
	}
	check("two days on", "fresh")

	// A revocation set anew is kept by a later prune.
	if _, err := h.Revoke("aging", now.Add(2*day).Unix()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.DropExpiredRevocations(now.Add(2 * day)); err != nil {
		t.Fatal(err)
	}
	check("revoked again", "aging", "fresh")
}

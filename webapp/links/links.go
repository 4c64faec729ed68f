// Package links keeps which users have linked the desktop app and, beyond
// the seed, when each user last unlinked (the revocation cutoff).
//
// Link state is DATA_DIR/desktop_users.json in the seed's format,
// {"user":{"linked_at":"2026-01-30T10:00:00Z"}}, so existing files and tools
// keep working. Cutoffs are DATA_DIR/desktop_revocations.json,
// {"user":{"not_before":1769767201,"unlinked_at":"..."}}; a token issued
// before not_before (unix seconds) is refused (protocol.RevokedBefore).
//
// Both files are written atomically (temporary file in the same folder,
// fsync, rename) with mode 0660. The store keeps them in memory behind one
// mutex: the webapp is the only writer, and reading the file on every Bearer
// call would cost a syscall per request for nothing.
package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/atomicfile"
)

const (
	UsersFile       = "desktop_users.json"
	RevocationsFile = "desktop_revocations.json"
	fileMode        = 0o660
)

// ErrNotLinked is returned by Unlink for a user who is not linked.
var ErrNotLinked = errors.New("desktop app is not linked")

// Link is one user's entry in desktop_users.json.
type Link struct {
	LinkedAt string `json:"linked_at"`
}

// Revocation is one user's entry in desktop_revocations.json.
type Revocation struct {
	NotBefore  int64  `json:"not_before"`
	UnlinkedAt string `json:"unlinked_at"`
}

// Store is the link and revocation state. Safe for concurrent use.
type Store struct {
	dir string

	mu      sync.Mutex
	users   map[string]Link
	revoked map[string]Revocation
}

// Open loads the state from dir, creating dir if needed. A file that is
// not valid JSON is an error (never overwritten: it may be hand-edited).
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o770); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s := &Store{dir: dir, users: map[string]Link{}, revoked: map[string]Revocation{}}
	if err := readJSON(filepath.Join(dir, UsersFile), &s.users); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, RevocationsFile), &s.revoked); err != nil {
		return nil, err
	}
	return s, nil
}

func readJSON(path string, into any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s is not valid JSON (fix or remove it): %w", path, err)
	}
	return nil
}

// Linked returns when user linked the app, if they are linked.
func (s *Store) Linked(user string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.users[user]
	if !ok {
		return time.Time{}, false
	}
	t, _ := time.Parse(time.RFC3339, l.LinkedAt)
	return t, true
}

// Users lists the linked users, sorted.
func (s *Store) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.users))
	for u := range s.users {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// MarkLinked records user as linked at now unless they already are. It
// writes the file only when something changed, so calling it on every
// authenticated request is cheap.
func (s *Store) MarkLinked(user string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.markLinkedLocked(user, now)
}

func (s *Store) markLinkedLocked(user string, now time.Time) error {
	if _, ok := s.users[user]; ok {
		return nil
	}
	next := clone(s.users)
	next[user] = Link{LinkedAt: now.UTC().Format(time.RFC3339)}
	if err := writeJSON(filepath.Join(s.dir, UsersFile), next); err != nil {
		return err
	}
	s.users = next
	return nil
}

// ErrRevoked is returned for a token issued before the user's cutoff.
var ErrRevoked = errors.New("token revoked by an unlink")

// Revoked says whether the credential a request came with is revoked by
// the user's cutoff (unix seconds, 0 for none); protocol.RevokedBefore is
// the rule for a token.
type Revoked func(cutoff int64) bool

// Admit lets in a request that authenticated with a token: it checks the
// token against the user's cutoff and marks the user linked in one step
// under the store's lock, so an unlink cannot fall between the two and be
// undone by a request that was checked before it.
func (s *Store) Admit(user string, revoked Revoked, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if revoked(s.revoked[user].NotBefore) {
		return ErrRevoked
	}
	return s.markLinkedLocked(user, now)
}

// Issue signs a new token for user (sign gets the issue time) and marks the
// user linked, while no unlink can run: the clock is read under the lock, so
// every token issued before an unlink has an iat before its cutoff (see
// Unlink) and none issued after it has. presented is the credential the
// request came with (refresh: the old token), checked against the cutoff
// under the same lock; nil for a signed-in browser.
//
// A token issued in the second of an unlink would be revoked by it; Issue
// waits, without the lock, until that second has passed (at most a second).
func (s *Store) Issue(ctx context.Context, user string, presented Revoked, now func() time.Time,
	sign func(time.Time) (string, error)) (string, error) {
	for {
		s.mu.Lock()
		cutoff := s.revoked[user].NotBefore
		if presented != nil && presented(cutoff) {
			s.mu.Unlock()
			return "", ErrRevoked
		}
		t := now()
		if wait := protocol.UntilCutoff(t, cutoff); wait > 0 {
			s.mu.Unlock()
			if err := sleep(ctx, wait); err != nil {
				return "", err
			}
			continue
		}
		tok, err := sign(t)
		if err == nil {
			err = s.markLinkedLocked(user, t)
		}
		s.mu.Unlock()
		return tok, err
	}
}

// Unlink removes user's link and stores the revocation cutoff for an
// unlink now (the clock is read under the lock, after every Issue that came
// first): every token issued before it is refused from then on. It returns
// the cutoff, or ErrNotLinked (and changes nothing).
func (s *Store) Unlink(user string, now func() time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[user]; !ok {
		return 0, ErrNotLinked
	}
	t := now()
	cutoff := protocol.RevocationCutoff(t)
	// The cutoff is written first: if the process dies between the two
	// writes the user still shows as linked but the old tokens are already
	// refused, never the other way round.
	rev := clone(s.revoked)
	rev[user] = Revocation{NotBefore: cutoff, UnlinkedAt: t.UTC().Format(time.RFC3339)}
	if err := writeJSON(filepath.Join(s.dir, RevocationsFile), rev); err != nil {
		return 0, err
	}
	s.revoked = rev
	users := clone(s.users)
	delete(users, user)
	if err := writeJSON(filepath.Join(s.dir, UsersFile), users); err != nil {
		return 0, err
	}
	s.users = users
	return cutoff, nil
}

// Cutoff is user's revocation cutoff (unix seconds), 0 if never unlinked.
func (s *Store) Cutoff(user string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[user].NotBefore
}

// Cutoffs returns every stored cutoff (user -> unix seconds).
func (s *Store) Cutoffs() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.revoked))
	for u, r := range s.revoked {
		out[u] = r.NotBefore
	}
	return out
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func clone[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// writeJSON replaces path atomically: readers see the old or the new file,
// never half of one.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return atomicfile.Write(path, append(b, '\n'), fileMode)
}

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

// Unlink removes user's link and stores the revocation cutoff for an
// unlink at now: every token issued before it is refused from then on. It
// returns the cutoff, or ErrNotLinked (and changes nothing).
func (s *Store) Unlink(user string, now time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[user]; !ok {
		return 0, ErrNotLinked
	}
	cutoff := protocol.RevocationCutoff(now)
	// The cutoff is written first: if the process dies between the two
	// writes the user still shows as linked but the old tokens are already
	// refused, never the other way round.
	rev := clone(s.revoked)
	rev[user] = Revocation{NotBefore: cutoff, UnlinkedAt: now.UTC().Format(time.RFC3339)}
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
	b = append(b, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", filepath.Base(path), err)
	}
	return nil
}

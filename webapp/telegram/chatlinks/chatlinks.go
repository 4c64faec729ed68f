// Package chatlinks keeps which Telegram chat belongs to which user, and the
// codes that link them, in the notifications data folder (DATA_DIR). The
// bot and the webapp are two processes (two service users in production)
// that both change these files, so every change is a read-modify-write
// under one file lock (gofrs/flock) and every file is replaced atomically
// (internal/atomicfile, the project's one atomic write; google/renameio,
// used before, does not build for Windows): a reader sees the old or the
// new file, never half.
//
// The files, in the old bot's shapes so an existing installation keeps its
// links from the first start:
//
//	telegram_users.json   {"<user>": {"chat_id": <int>, "linked_at": "<ISO time>"}}
//	pending_codes.json    {"<6 digits>": {"chat_id": <int>, "created_at": <unix seconds>}}
//
// and one of ours, for the one-click link from the portal:
//
//	telegram_link_codes.json  {"<SHA-256 of the code>": {"user": "...", "expires_at": "<RFC 3339>"}}
//
// Only the hash of a one-click code is stored: reading the file does not
// give a code that links someone else's account.
package chatlinks

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/keboola/analyst-alerts/internal/atomicfile"
)

// File names in DATA_DIR.
const (
	UsersFile     = "telegram_users.json"
	PendingFile   = "pending_codes.json"
	LinkCodesFile = "telegram_link_codes.json"
	lockFile      = ".telegram.lock"
)

// CodeTTL is how long a code (either kind) links.
const CodeTTL = 10 * time.Minute

// fileMode: the bot and the webapp share the files through their group.
const fileMode = 0o660

// Errors a caller maps to its answer.
var (
	// ErrBadCode: the code is unknown, expired, already used or malformed.
	// One error for all, so a guesser learns nothing from the answer.
	ErrBadCode = errors.New("the code is not valid: it may be mistyped, expired or already used")
)

// linkCodeRE is the shape of a one-click code (Telegram's start parameter
// allows at most 64 characters of [A-Za-z0-9_-]).
var linkCodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Link is one user's chat.
type Link struct {
	ChatID int64 `json:"chat_id"`
	// LinkedAt is kept as written (the old bot wrote Python's isoformat,
	// possibly without a zone); LinkedTime parses it.
	LinkedAt string `json:"linked_at"`
}

// LinkedTime is LinkedAt as a time (zero when it cannot be read).
func (l Link) LinkedTime() time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, l.LinkedAt); err == nil {
			return t
		}
	}
	return time.Time{}
}

type pendingCode struct {
	ChatID    int64    `json:"chat_id"`
	CreatedAt unixTime `json:"created_at"`
}

type linkCode struct {
	User      string    `json:"user"`
	ExpiresAt time.Time `json:"expires_at"`
}

// unixTime is written as unix seconds (the old bot's time.time()) and read
// from a number or an ISO string, whichever the file holds.
type unixTime struct{ time.Time }

func (u unixTime) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(u.UnixMilli())/1000, 'f', -1, 64)), nil
}

func (u *unixTime) UnmarshalJSON(b []byte) error {
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		u.Time = time.UnixMilli(int64(f * 1000))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("created_at: %s is neither a number nor a string", b)
	}
	l := Link{LinkedAt: s}
	if u.Time = l.LinkedTime(); u.IsZero() {
		return fmt.Errorf("created_at: %q is not a time", s)
	}
	return nil
}

// Store is the files of one DATA_DIR. Safe for concurrent use by goroutines
// and by processes.
type Store struct {
	dir  string
	lock string
	// Now is the clock (tests move it).
	Now func() time.Time
}

// Open uses dir, creating it when missing.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o770); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	return &Store{dir: dir, lock: filepath.Join(dir, lockFile), Now: time.Now}, nil
}

// Dir is the data folder.
func (s *Store) Dir() string { return s.dir }

// state is every file, read under the lock.
type state struct {
	users   map[string]Link
	pending map[string]pendingCode
	codes   map[string]linkCode
	changed [3]bool
}

// view runs fn on the files under a shared lock.
func (s *Store) view(fn func(*state) error) error {
	// A fresh flock (a fresh file descriptor) per call: one flock.Flock
	// shared by goroutines would not exclude them from each other.
	lock := flock.New(s.lock, flock.SetPermissions(fileMode))
	if err := lock.RLock(); err != nil {
		return fmt.Errorf("lock %s: %w", lockFile, err)
	}
	defer func() { _ = lock.Close() }()
	st, err := s.read()
	if err != nil {
		return err
	}
	return fn(st)
}

// update runs fn under the exclusive lock and writes the files it changed.
func (s *Store) update(fn func(*state) error) error {
	lock := flock.New(s.lock, flock.SetPermissions(fileMode))
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("lock %s: %w", lockFile, err)
	}
	defer func() { _ = lock.Close() }()
	st, err := s.read()
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	for i, name := range []string{UsersFile, PendingFile, LinkCodesFile} {
		if !st.changed[i] {
			continue
		}
		v := []any{st.users, st.pending, st.codes}[i]
		if err := writeJSON(filepath.Join(s.dir, name), v); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) read() (*state, error) {
	st := &state{users: map[string]Link{}, pending: map[string]pendingCode{}, codes: map[string]linkCode{}}
	for _, f := range []struct {
		name string
		into any
	}{{UsersFile, &st.users}, {PendingFile, &st.pending}, {LinkCodesFile, &st.codes}} {
		b, err := os.ReadFile(filepath.Join(s.dir, f.name))
		if errors.Is(err, os.ErrNotExist) || (err == nil && len(strings.TrimSpace(string(b))) == 0) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.name, err)
		}
		if err := json.Unmarshal(b, f.into); err != nil {
			// Never overwrite a file we cannot read: the links in it
			// would be lost. The operator fixes it; the error says where.
			return nil, fmt.Errorf("%s is not valid JSON (fix or remove it): %w", filepath.Join(s.dir, f.name), err)
		}
	}
	// A null entry ("user": null) reads as chat 0: treat it as absent.
	for u, l := range st.users {
		if l.ChatID == 0 {
			delete(st.users, u)
		}
	}
	return st, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	// Exactly 0660, whatever the umask or the old file's mode (atomicfile
	// sets the mode with fchmod): the webapp and the bot are two users of
	// one group.
	if err := atomicfile.Write(path, append(b, '\n'), fileMode); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// Chat is the chat linked to user.
func (s *Store) Chat(user string) (Link, bool, error) {
	var (
		l  Link
		ok bool
	)
	err := s.view(func(st *state) error { l, ok = st.users[user]; return nil })
	return l, ok, err
}

// UserOf is the user a chat is linked to.
func (s *Store) UserOf(chatID int64) (string, bool, error) {
	var user string
	err := s.view(func(st *state) error { user = userOf(st, chatID); return nil })
	return user, user != "", err
}

// Users is every link, by user.
func (s *Store) Users() (map[string]Link, error) {
	var out map[string]Link
	err := s.view(func(st *state) error { out = st.users; return nil })
	return out, err
}

func userOf(st *state, chatID int64) string {
	names := make([]string, 0, len(st.users))
	for u, l := range st.users {
		if l.ChatID == chatID {
			names = append(names, u)
		}
	}
	sort.Strings(names) // the old bot's file may link a chat twice: be deterministic
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// link makes chatID user's one chat; a chat belongs to one user, so another
// user linked to the same chat is unlinked.
func (s *Store) link(st *state, user string, chatID int64) {
	for u, l := range st.users {
		if l.ChatID == chatID && u != user {
			delete(st.users, u)
		}
	}
	st.users[user] = Link{ChatID: chatID, LinkedAt: s.Now().UTC().Format(time.RFC3339)}
	st.changed[0] = true
}

// Unlink removes user's chat; it reports whether there was one.
func (s *Store) Unlink(user string) (Link, bool, error) {
	var (
		l  Link
		ok bool
	)
	err := s.update(func(st *state) error {
		if l, ok = st.users[user]; ok {
			delete(st.users, user)
			st.changed[0] = true
		}
		return nil
	})
	return l, ok, err
}

// UnlinkChat removes the link of chatID (the chat blocked the bot, or said
// /unlink); it returns the user it was linked to.
func (s *Store) UnlinkChat(chatID int64) (string, bool, error) {
	var users []string
	err := s.update(func(st *state) error {
		for u, l := range st.users {
			if l.ChatID == chatID {
				users = append(users, u)
				delete(st.users, u)
				st.changed[0] = true
			}
		}
		return nil
	})
	sort.Strings(users)
	if len(users) == 0 {
		return "", false, err
	}
	return users[0], true, err
}

// NewPendingCode is the old bot's /start: a 6-digit code, valid CodeTTL,
// that the user types in the dashboard to link this chat. An earlier code
// of the same chat is replaced; expired codes are cleaned up.
func (s *Store) NewPendingCode(chatID int64) (string, time.Time, error) {
	var code string
	now := s.Now()
	err := s.update(func(st *state) error {
		for c, p := range st.pending {
			if p.ChatID == chatID || now.Sub(p.CreatedAt.Time) > CodeTTL {
				delete(st.pending, c)
			}
		}
		for {
			n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
			if err != nil {
				return err
			}
			code = fmt.Sprintf("%06d", n.Int64())
			if _, taken := st.pending[code]; !taken {
				break
			}
		}
		st.pending[code] = pendingCode{ChatID: chatID, CreatedAt: unixTime{now}}
		st.changed[1] = true
		return nil
	})
	return code, now.Add(CodeTTL), err
}

// VerifyPendingCode links user to the chat that asked for code (the
// dashboard's code field). The code is used up; it returns the chat.
func (s *Store) VerifyPendingCode(user, code string) (int64, error) {
	code = strings.TrimSpace(code)
	var chatID int64
	now := s.Now()
	err := s.update(func(st *state) error {
		p, ok := st.pending[code]
		if !ok || len(code) != 6 {
			return ErrBadCode
		}
		delete(st.pending, code)
		st.changed[1] = true
		if now.Sub(p.CreatedAt.Time) > CodeTTL || now.Before(p.CreatedAt.Add(-time.Minute)) {
			// Used up all the same: write the removal, refuse the link.
			chatID = -1
			return nil
		}
		chatID = p.ChatID
		s.link(st, user, chatID)
		return nil
	})
	if err == nil && chatID == -1 {
		return 0, ErrBadCode
	}
	return chatID, err
}

// NewLinkCode is the portal's one-click link: a random code for
// https://t.me/<bot>?start=<code>, valid CodeTTL, single-use. Earlier codes
// of the same user are replaced.
func (s *Store) NewLinkCode(user string) (string, time.Time, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, err
	}
	code := base64.RawURLEncoding.EncodeToString(b) // 43 characters of [A-Za-z0-9_-]
	now := s.Now()
	exp := now.Add(CodeTTL)
	err := s.update(func(st *state) error {
		for h, c := range st.codes {
			if c.User == user || !now.Before(c.ExpiresAt) {
				delete(st.codes, h)
			}
		}
		st.codes[hashCode(code)] = linkCode{User: user, ExpiresAt: exp.UTC()}
		st.changed[2] = true
		return nil
	})
	return code, exp, err
}

// RedeemLinkCode links chatID to the user who asked for code; the code is
// used up whatever the outcome. It returns the user.
func (s *Store) RedeemLinkCode(code string, chatID int64) (string, error) {
	if !linkCodeRE.MatchString(code) {
		return "", ErrBadCode
	}
	var user string
	now := s.Now()
	err := s.update(func(st *state) error {
		h := hashCode(code)
		c, ok := st.codes[h]
		if !ok {
			return ErrBadCode
		}
		delete(st.codes, h)
		st.changed[2] = true
		if !now.Before(c.ExpiresAt) {
			return nil
		}
		user = c.User
		s.link(st, user, chatID)
		return nil
	})
	if err == nil && user == "" {
		return "", ErrBadCode
	}
	return user, err
}

func hashCode(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}

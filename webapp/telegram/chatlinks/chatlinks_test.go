package chatlinks_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/webapp/telegram/chatlinks"
)

// The old bot's files, as it wrote them, work unchanged.
func TestSeedFiles(t *testing.T) {
	dir := t.TempDir()
	seedUsers := `{"petr": {"chat_id": 123456789, "linked_at": "2025-11-03T09:12:44.123456"},
 "jana": {"chat_id": -100200, "linked_at": "2026-01-30T10:00:00+00:00"}}`
	now := time.Now()
	seedPending := `{"424242": {"chat_id": 555, "created_at": ` + jsonNum(now.Add(-time.Minute)) + `}}`
	write(t, dir, chatlinks.UsersFile, seedUsers)
	write(t, dir, chatlinks.PendingFile, seedPending)
	s, err := chatlinks.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, ok, err := s.Chat("petr")
	if err != nil || !ok || l.ChatID != 123456789 || l.LinkedTime().Year() != 2025 {
		t.Fatalf("petr: %+v %v %v", l, ok, err)
	}
	if u, ok, _ := s.UserOf(-100200); !ok || u != "jana" {
		t.Fatalf("chat -100200: %q %v", u, ok)
	}
	// The code the old bot handed out before the upgrade still links.
	chat, err := s.VerifyPendingCode("eva", "424242")
	if err != nil || chat != 555 {
		t.Fatalf("verify: %d %v", chat, err)
	}
	if _, err := s.VerifyPendingCode("eva", "424242"); !errors.Is(err, chatlinks.ErrBadCode) {
		t.Fatalf("second use: %v", err)
	}
	// Shared with the other service user through the group, whatever the umask.
	setUmask(0o022)
	if _, _, err := s.NewPendingCode(9); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{chatlinks.UsersFile, chatlinks.PendingFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o660 {
			t.Fatalf("%s: %v %v", f, fi.Mode(), err)
		}
	}
	// The file keeps the old shape, the other users untouched.
	var back map[string]map[string]any
	readJSON(t, filepath.Join(dir, chatlinks.UsersFile), &back)
	if len(back) != 3 || back["petr"]["chat_id"].(float64) != 123456789 || back["petr"]["linked_at"] != "2025-11-03T09:12:44.123456" ||
		back["eva"]["chat_id"].(float64) != 555 {
		t.Fatalf("written back: %v", back)
	}
}

func TestPendingCodes(t *testing.T) {
	s, now := open(t)
	code, exp, err := s.NewPendingCode(77)
	if err != nil || !regexp.MustCompile(`^\d{6}$`).MatchString(code) || exp.Sub(*now) != 10*time.Minute {
		t.Fatalf("code %q exp %v err %v", code, exp, err)
	}
	// A new /start replaces the chat's earlier code.
	code2, _, _ := s.NewPendingCode(77)
	if _, err := s.VerifyPendingCode("petr", code); code != code2 && !errors.Is(err, chatlinks.ErrBadCode) {
		t.Fatalf("replaced code still links: %v", err)
	}
	for _, bad := range []string{"", "12345", "abcdef", "1234567"} {
		if _, err := s.VerifyPendingCode("petr", bad); !errors.Is(err, chatlinks.ErrBadCode) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	*now = now.Add(10*time.Minute + time.Second)
	if _, err := s.VerifyPendingCode("petr", code2); !errors.Is(err, chatlinks.ErrBadCode) {
		t.Fatalf("expired: %v", err)
	}
	if _, ok, _ := s.Chat("petr"); ok {
		t.Fatal("expired code linked")
	}
	code3, _, _ := s.NewPendingCode(77)
	if chat, err := s.VerifyPendingCode("petr", " "+code3+" "); err != nil || chat != 77 {
		t.Fatalf("fresh: %d %v", chat, err)
	}
}

func TestLinkCodes(t *testing.T) {
	s, now := open(t)
	code, exp, err := s.NewLinkCode("petr")
	if err != nil || !regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`).MatchString(code) || exp.Sub(*now) != 10*time.Minute {
		t.Fatalf("code %q exp %v err %v", code, exp, err)
	}
	// The file holds no usable code.
	b, _ := os.ReadFile(filepath.Join(s.Dir(), chatlinks.LinkCodesFile))
	if regexp.MustCompile(regexp.QuoteMeta(code)).Match(b) {
		t.Fatal("code stored in clear")
	}
	for _, forged := range []string{"", "x", code + "x", "../../etc", string(make([]byte, 65))} {
		if _, err := s.RedeemLinkCode(forged, 1); !errors.Is(err, chatlinks.ErrBadCode) {
			t.Fatalf("forged %q: %v", forged, err)
		}
	}
	user, err := s.RedeemLinkCode(code, 1)
	if err != nil || user != "petr" {
		t.Fatalf("redeem: %q %v", user, err)
	}
	if _, err := s.RedeemLinkCode(code, 2); !errors.Is(err, chatlinks.ErrBadCode) {
		t.Fatalf("reused: %v", err)
	}
	if l, _, _ := s.Chat("petr"); l.ChatID != 1 {
		t.Fatalf("reuse moved the link: %+v", l)
	}
	// Expired.
	code, _, _ = s.NewLinkCode("jana")
	*now = now.Add(10 * time.Minute)
	if _, err := s.RedeemLinkCode(code, 3); !errors.Is(err, chatlinks.ErrBadCode) {
		t.Fatalf("expired: %v", err)
	}
	// One chat, one user: linking chat 1 to jana unlinks petr.
	code, _, _ = s.NewLinkCode("jana")
	if _, err := s.RedeemLinkCode(code, 1); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Chat("petr"); ok {
		t.Fatal("chat linked to two users")
	}
	if u, ok, _ := s.UnlinkChat(1); !ok || u != "jana" {
		t.Fatalf("unlink chat: %q %v", u, ok)
	}
}

// A file that is not JSON is never overwritten (the links in it would be lost).
func TestDamagedFileIsKept(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, chatlinks.UsersFile, `{"petr": {"chat_id": 1,`)
	s, _ := chatlinks.Open(dir)
	if _, _, err := s.NewPendingCode(5); err == nil {
		t.Fatal("no error")
	}
	if _, err := s.RedeemLinkCode("abc", 5); err == nil {
		t.Fatal("no error")
	}
	b, _ := os.ReadFile(filepath.Join(dir, chatlinks.UsersFile))
	if string(b) != `{"petr": {"chat_id": 1,` {
		t.Fatalf("overwritten: %s", b)
	}
}

// Two stores on one folder (the bot's and the webapp's processes) never lose
// each other's changes.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	a, _ := chatlinks.Open(dir)
	b, _ := chatlinks.Open(dir)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			code, _, err := s.NewLinkCode("u" + string(rune('A'+i)))
			if err == nil {
				_, err = s.RedeemLinkCode(code, int64(1000+i))
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	users, err := a.Users()
	if err != nil || len(users) != 40 {
		t.Fatalf("%d users, %v", len(users), err)
	}
}

func open(t *testing.T) (*chatlinks.Store, *time.Time) {
	s, err := chatlinks.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	return s, &now
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
}

func jsonNum(t time.Time) string {
	b, _ := json.Marshal(float64(t.UnixMilli()) / 1000)
	return string(b)
}

package app

import (
	"sync"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// heldBadge holds the first SetUnread(1) until released, so a test can
// make a later state (the alert read) race an earlier one (it arrived).
type heldBadge struct {
	held, release chan struct{}
	once          sync.Once
	mu            sync.Mutex
	shown         []int
}

func (b *heldBadge) SetUnread(n int) {
	if n == 1 {
		b.once.Do(func() { close(b.held); <-b.release })
	}
	b.mu.Lock()
	b.shown = append(b.shown, n)
	b.mu.Unlock()
}

func (b *heldBadge) last() (int, []int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.shown[len(b.shown)-1], append([]int(nil), b.shown...)
}

// The tray shows the latest state, whatever order two state emits run in:
// an alert that arrives and is read at once ends with no badge (the badge
// of its arrival, held up, must not land after the read's).
func TestBadgeShowsTheLatestStateWhenEmitsRace(t *testing.T) {
	e := newEnv(t)
	r := newRecorder()
	b := &heldBadge{held: make(chan struct{}), release: make(chan struct{})}
	a, err := New(Deps{Config: e.cfg, Notifier: r, UI: r, Badge: b,
		Browser: func(u string) error { e.opened <- u; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	e.opened = make(chan string, 10)
	a.Start()
	t.Cleanup(a.Stop)
	if err := e.signIn(t, a, "petr"); err != nil {
		t.Fatal(err)
	}
	waitLive(t, a)
	e.dispatch(t, protocol.Notification{ID: "race-1", Title: "Disk full"})
	select {
	case <-b.held: // the arrival's emit is showing 1, held
	case <-time.After(15 * time.Second):
		t.Fatal("the alert's arrival set no badge")
	}
	read := make(chan error, 1)
	go func() { read <- a.API().MarkRead("race-1") }()
	// The read's emit may show its 0 now (it raced past the held one) or
	// wait its turn; either way the held one goes on after a moment.
	time.Sleep(300 * time.Millisecond)
	close(b.release)
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	// The held emit has shown its 1 once released; the latest shown must
	// be the read's 0 (before the fix it was the 1, shown last, and no
	// later emit came to mend it).
	waitFor(t, "the held badge to be shown", func() bool {
		_, shown := b.last()
		for _, n := range shown {
			if n == 1 {
				return true
			}
		}
		return false
	})
	deadline := time.Now().Add(2 * time.Second)
	for {
		last, shown := b.last()
		if last == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tray shows %d unread after the alert was read (shown in order: %v)", last, shown)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

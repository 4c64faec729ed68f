package shell

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// unansweredPrompt is the notification runtime of a first launch on macOS:
// Authorize blocks until the user answers the prompt (answer).
type unansweredPrompt struct {
	answer chan bool

	mu         sync.Mutex
	onResponse func(runtime.NotificationResult)
	sent       []runtime.NotificationOptions
}

func (u *unansweredPrompt) Initialize() error        { return nil }
func (u *unansweredPrompt) Authorize() (bool, error) { return <-u.answer, nil }
func (u *unansweredPrompt) RegisterCategory(runtime.NotificationCategory) error {
	return nil
}
func (u *unansweredPrompt) OnResponse(f func(runtime.NotificationResult)) {
	u.mu.Lock()
	u.onResponse = f
	u.mu.Unlock()
}
func (u *unansweredPrompt) Send(o runtime.NotificationOptions, _ bool) error {
	u.mu.Lock()
	u.sent = append(u.sent, o)
	u.mu.Unlock()
	return nil
}
func (u *unansweredPrompt) Remove(string) error { return nil }
func (u *unansweredPrompt) Cleanup()            {}

func (u *unansweredPrompt) sentIDs() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var ids []string
	for _, o := range u.sent {
		ids = append(ids, o.ID)
	}
	return ids
}

// First launch: the permission prompt is open and unanswered. DomReady
// must return at once (Wails runs it on the goroutine that takes the
// window's messages), a click on a notification must already reach the
// app, and an alert that arrives meanwhile is shown once the user answers.
func TestFirstLaunchDoesNotWaitForThePermissionAnswer(t *testing.T) {
	prompt := &unansweredPrompt{answer: make(chan bool)}
	s := &Shell{newNative: func(context.Context) nativeNotifications { return prompt }}
	clicked := make(chan string, 1)
	s.Started(context.Background(), func(id, action string) { clicked <- id + "/" + action })

	if err := s.Notify("n1", "Revenue dropped", "by 12%"); err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	go func() { s.DomReady(context.Background()); close(returned) }()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		close(prompt.answer) // let the blocked call end
		t.Fatal("DomReady waits for the answer to the permission prompt")
	}

	// The click handler is there before the answer (set at OnStartup).
	prompt.mu.Lock()
	onResponse := prompt.onResponse
	prompt.mu.Unlock()
	if onResponse == nil {
		t.Fatal("no notification response handler before the user answered")
	}
	onResponse(runtime.NotificationResult{Response: runtime.NotificationResponse{ID: "n0", ActionIdentifier: ActionAcknowledge}})
	if got := <-clicked; got != "n0/"+ActionAcknowledge {
		t.Errorf("click reached the app as %q", got)
	}
	if ids := prompt.sentIDs(); len(ids) != 0 {
		t.Fatalf("sent %q before the user answered", ids)
	}

	prompt.answer <- true
	deadline := time.Now().Add(10 * time.Second)
	for len(prompt.sentIDs()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the alert kept during the prompt was never shown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ids := prompt.sentIDs(); len(ids) != 1 || ids[0] != "n1" {
		t.Fatalf("sent %q, want [n1]", ids)
	}
	// Later alerts go straight out.
	if err := s.Notify("n2", "t", "b"); err != nil {
		t.Fatal(err)
	}
	if ids := prompt.sentIDs(); len(ids) != 2 || ids[1] != "n2" {
		t.Fatalf("sent %q, want [n1 n2]", ids)
	}
}

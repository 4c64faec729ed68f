package shell

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// recorder is a click handler that writes the clicks down.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) handle(id, action string) {
	r.mu.Lock()
	r.got = append(r.got, id+"/"+action)
	r.mu.Unlock()
}

func (r *recorder) clicks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// A click that launched the app comes before the app's handler exists: it
// is kept and handed over, in order, with the ones that follow.
func TestClickBeforeHandlerIsDelivered(t *testing.T) {
	var b clickBuffer
	b.add("n1", "DEFAULT_ACTION")
	b.add("n2", ActionAcknowledge)
	var r recorder
	b.deliverTo(r.handle)
	b.add("n3", "DEFAULT_ACTION")
	want := []string{"n1/DEFAULT_ACTION", "n2/" + ActionAcknowledge, "n3/DEFAULT_ACTION"}
	if got := r.clicks(); !slices.Equal(got, want) {
		t.Fatalf("clicks %q, want %q", got, want)
	}
}

// Before the handler, at most maxEarlyClicks are kept (the first ones).
func TestEarlyClicksAreBounded(t *testing.T) {
	var b clickBuffer
	for i := range maxEarlyClicks + 5 {
		b.add(fmt.Sprint(i), "DEFAULT_ACTION")
	}
	var r recorder
	b.deliverTo(r.handle)
	got := r.clicks()
	if len(got) != maxEarlyClicks || got[0] != "0/DEFAULT_ACTION" {
		t.Fatalf("kept %d clicks starting %q, want %d starting 0", len(got), got[:1], maxEarlyClicks)
	}
}

// Clicks racing the wiring: each is delivered exactly once (go test -race).
func TestClicksRacingTheHandlerAreDeliveredOnce(t *testing.T) {
	var b clickBuffer
	var r recorder
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); b.add(fmt.Sprint(i), "a") }()
	}
	b.deliverTo(r.handle)
	wg.Wait()
	got := r.clicks()
	slices.Sort(got)
	if len(got) != 20 || len(slices.Compact(slices.Clone(got))) != 20 {
		t.Fatalf("%d distinct clicks delivered of 20: %q", len(got), got)
	}
}

// The shell hands the clicks its delegate kept at launch to the app's
// handler when Wails starts it (Started).
func TestStartedDeliversTheLaunchClick(t *testing.T) {
	t.Cleanup(func() { launchClicks = clickBuffer{} })
	launchClicks.add("n0", "DEFAULT_ACTION") // the delegate, during the launch
	prompt := &unansweredPrompt{answer: make(chan bool)}
	defer close(prompt.answer)
	s := &Shell{newNative: func(context.Context) nativeNotifications { return prompt }}
	var r recorder
	s.Started(context.Background(), r.handle)
	if got := r.clicks(); !slices.Equal(got, []string{"n0/DEFAULT_ACTION"}) {
		t.Fatalf("after Started the app got %q, want the launch's click", got)
	}
}

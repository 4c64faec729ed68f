package shell

import "sync"

// launchClicks holds the notification clicks the app's own notification
// delegate (macOS: notifydelegate_darwin.go, set from main before Wails
// starts) receives before Started wires the app's handler: a click on a
// banner while the app was not running launches it and is delivered during
// the launch, before OnStartup has run.
var launchClicks clickBuffer

// maxEarlyClicks bounds what is kept before the handler is wired: a person
// clicks a few banners at most; more are dropped, oldest kept.
const maxEarlyClicks = 32

// clickBuffer delivers clicks (a notification's id and the action pressed)
// to a handler, keeping those that come before the handler is set and
// handing them over, in order, when it is. Safe for concurrent use.
type clickBuffer struct {
	mu      sync.Mutex
	handler func(id, action string)
	early   [][2]string
}

// add delivers a click, or keeps it until deliverTo.
func (b *clickBuffer) add(id, action string) {
	b.mu.Lock()
	h := b.handler
	if h == nil {
		if len(b.early) < maxEarlyClicks {
			b.early = append(b.early, [2]string{id, action})
		}
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	h(id, action)
}

// deliverTo sets the handler and gives it the clicks kept so far.
func (b *clickBuffer) deliverTo(h func(id, action string)) {
	b.mu.Lock()
	early := b.early
	b.early = nil
	b.handler = h
	b.mu.Unlock()
	for _, c := range early {
		h(c[0], c[1])
	}
}

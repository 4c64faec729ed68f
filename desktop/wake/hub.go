//go:build darwin || windows

package wake

import "sync"

// hub hands the OS's process-wide callbacks (macOS notifications, Windows
// power and IP Helper callbacks, registered once: Windows allows a process
// only so many callbacks) to every Run going on.
type hub struct {
	mu    sync.Mutex
	next  int
	sends map[int]func(event)
}

// add passes what the callbacks see to e until e.ctx ends.
func (h *hub) add(e sourceEnv) {
	h.mu.Lock()
	if h.sends == nil {
		h.sends = map[int]func(event){}
	}
	id := h.next
	h.next++
	h.sends[id] = e.send
	h.mu.Unlock()
	e.spawn(func() {
		<-e.ctx.Done()
		h.mu.Lock()
		delete(h.sends, id)
		h.mu.Unlock()
	})
}

// send is called from an OS callback; it must not block.
func (h *hub) send(ev event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.sends {
		s(ev)
	}
}

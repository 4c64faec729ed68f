// Package hub is the gateway's fan-out on one machine: it stores each
// dispatched notification in the user's history and hands it to the user's
// live connections, and attaches new connections with a gap-free switch
// from replayed history to live delivery.
//
// The connection code sees the hub only through the small interface it
// declares (server.Fanout); a bus between several gateway machines (NATS,
// Redis) would be a second implementation of that interface.
package hub

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/store"
)

// Subscriber is a live, authenticated connection as the hub sees it.
type Subscriber interface {
	// Deliver queues a frame without blocking; false when the connection
	// is closed or was dropped for being too slow.
	Deliver(frame []byte) bool
	// IssuedAt is the unix time its token was issued (for revocation).
	IssuedAt() int64
	// Revoke closes the connection because its token was revoked.
	Revoke()
}

// ErrTooManyConnections refuses an attach past the per-user limit.
var ErrTooManyConnections = errors.New("too many connections for this user")

// ErrUnavailable is a fan-out that cannot store a notification now (a
// cluster node that lost NATS): the dispatch is refused with 503, never
// answered as a success.
var ErrUnavailable = errors.New("the notification store is unavailable")

// Hooks let the caller count what happens (metrics); all are optional.
type Hooks struct {
	Delivered func(n int)
	Replayed  func(n int)
}

// Local is the single-machine fan-out.
type Local struct {
	store  *store.Store
	maxPer int
	hooks  Hooks
	now    func() time.Time

	ackLocks ackLocks // ack.go

	mu      sync.RWMutex
	users   map[string]*user
	cutoffs map[string]int64
}

// user holds one user's live attachments: a few at most
// (MAX_CONNECTIONS_PER_USER), so a slice is smaller than a map.
type user struct {
	mu   sync.Mutex
	subs []*attachment
}

func (u *user) remove(a *attachment) {
	for i, x := range u.subs {
		if x == a {
			last := len(u.subs) - 1
			u.subs[i] = u.subs[last]
			u.subs[last] = nil
			u.subs = u.subs[:last]
			return
		}
	}
}

// Attachment is one attached subscriber as its connection holds it. Every
// fan-out returns its own, with the same contract: the first page of a
// replay is delivered by Attach; while CatchingUp, the connection's writer
// asks for each next page with NextPage once it has written the last, and
// the page that reaches the newest record switches it to live delivery
// with no gap and no duplicate. Detach stops delivery.
type Attachment interface {
	// CatchingUp says there is more history to replay (NextPage) before
	// live notifications. Call it from the goroutine that calls NextPage.
	CatchingUp() bool
	// NextPage returns the next page of a catching-up replay, for the
	// caller to write in order; live is true once that page was the last.
	// Call it only after the previous page was written, so a connection
	// that does not read holds a page at most.
	NextPage() (frames [][]byte, live bool, err error)
	Detach()
}

// attachment is the local hub's Attachment.
type attachment struct {
	hub  *Local
	name string
	u    *user // the user it is attached to
	sub  Subscriber
	// Guarded by u.mu:
	last uint64          // highest seq handed to sub (0: none yet)
	from protocol.Resume // where the next replay page starts
	live bool            // deliveries reach sub; false while it catches up on history
}

// ReplayPageBytes bounds the history a resuming connection is handed at a
// time: the next page is read when the connection has written the last
// one. Five connections that never read then hold five pages, not five
// histories (up to 200 frames of 64 KiB each). A usual history (frames of
// a few hundred bytes) fits one page.
const ReplayPageBytes = 256 << 10

// New returns a hub over st allowing maxPerUser live connections per user.
// It loads the stored revocations, dropping those expired (see
// DropExpiredRevocations).
func New(st *store.Store, maxPerUser int, hooks Hooks) (*Local, error) {
	if _, err := st.DropRevocationsBefore(protocol.RevocationExpiredBefore(time.Now())); err != nil {
		return nil, err
	}
	cut, err := st.Revocations()
	if err != nil {
		return nil, err
	}
	return &Local{store: st, maxPer: maxPerUser, hooks: hooks, now: time.Now,
		users: map[string]*user{}, cutoffs: cut}, nil
}

// DropExpiredRevocations forgets the revocation cutoffs that can refuse no
// token at now (protocol.RevocationExpiredBefore), stored and in memory, so
// neither grows with every unlink ever made; the caller runs it now and
// then, off the hot path. Returns how many the store dropped.
func (h *Local) DropExpiredRevocations(now time.Time) (int, error) {
	before := protocol.RevocationExpiredBefore(now)
	n, err := h.store.DropRevocationsBefore(before)
	if err != nil {
		return 0, err
	}
	// By value, as the store does: a Revoke meanwhile set a newer cutoff,
	// which stays.
	h.mu.Lock()
	for name, cut := range h.cutoffs {
		if cut < before {
			delete(h.cutoffs, name)
		}
	}
	h.mu.Unlock()
	return n, nil
}

// Publish stores the notification in name's history and delivers it to the
// live connections once it is committed.
func (h *Local) Publish(name string, notification json.RawMessage) (protocol.DispatchResponse, error) {
	p := publishes.Get().(*publish)
	p.h, p.name, p.notification = h, name, notification
	rec, err := h.store.Append(name, p.buildFn, p.afterFn)
	sent := p.sent
	*p = publish{buildFn: p.buildFn, afterFn: p.afterFn}
	publishes.Put(p)
	if err != nil {
		return protocol.DispatchResponse{}, err
	}
	return protocol.DispatchResponse{Sent: sent, Stored: true, Seq: rec.Seq}, nil
}

// publish is one Publish's state for the store's two callbacks. Pooled,
// with the callbacks bound once per pooled value: two closures made per
// dispatch were two of its allocations (and a third, the count they set).
type publish struct {
	h            *Local
	name         string
	notification json.RawMessage
	sent         int

	buildFn store.FrameFunc
	afterFn store.CommittedFunc
}

var publishes = sync.Pool{New: func() any {
	p := &publish{}
	p.buildFn, p.afterFn = p.build, p.committed
	return p
}}

func (p *publish) build(seq uint64, epoch string) ([]byte, error) {
	return protocol.NotificationFrameBytes(p.notification, seq, epoch, p.h.now())
}

func (p *publish) committed(rec store.Record) { p.sent = p.h.deliver(p.name, rec) }

// deliver runs on the store's committer, in seq order per user.
func (h *Local) deliver(name string, rec store.Record) int {
	h.mu.RLock()
	u := h.users[name]
	h.mu.RUnlock()
	if u == nil {
		return 0
	}
	n := 0
	u.mu.Lock()
	for _, a := range u.subs {
		// A connection catching up reads this record from the history
		// with its next page. One that attached while this record was
		// being committed may already have it from the replay.
		if !a.live || rec.Seq <= a.last {
			continue
		}
		a.last = rec.Seq
		if a.sub.Deliver(rec.Frame) {
			n++
		}
	}
	u.mu.Unlock()
	if h.hooks.Delivered != nil && n > 0 {
		h.hooks.Delivered(n)
	}
	return n
}

// Attach registers sub for name's live notifications. With resume, the
// stored notifications after it are delivered first, oldest first; the
// switch to live delivery has no gap and no duplicate. It returns how many
// stored notifications the replay holds. The first page of the replay is
// delivered to sub at once; when there is more (CatchingUp), the caller
// asks for each next page with NextPage once it has written the last.
func (h *Local) Attach(name string, sub Subscriber, resume *protocol.Resume) (Attachment, int, error) {
	h.mu.Lock()
	u := h.users[name]
	if u == nil {
		u = &user{}
		h.users[name] = u
	}
	// Lock the user before releasing the map so a Detach cannot remove it
	// from the map in between.
	u.mu.Lock()
	h.mu.Unlock()
	a, replayed, err := h.attachLocked(u, name, sub, resume)
	u.mu.Unlock()
	if err != nil {
		h.dropIfEmpty(name, u)
		return nil, 0, err
	}
	if h.hooks.Replayed != nil && replayed > 0 {
		h.hooks.Replayed(replayed)
	}
	return a, replayed, nil
}

func (h *Local) attachLocked(u *user, name string, sub Subscriber, resume *protocol.Resume) (*attachment, int, error) {
	if len(u.subs) >= h.maxPer {
		return nil, 0, ErrTooManyConnections
	}
	a := &attachment{hub: h, name: name, u: u, sub: sub, live: true}
	total := 0
	if resume != nil {
		a.from = *resume
		recs, n, err := a.pageLocked()
		if err != nil {
			return nil, 0, err
		}
		for _, r := range recs {
			sub.Deliver(r.Frame)
		}
		total = n
	}
	u.subs = append(u.subs, a)
	return a, total, nil
}

// pageLocked reads the next page of history after the attachment's
// position and moves the position past it; when that was all, the
// attachment goes live. user.mu held: no delivery runs meanwhile, so a
// record committed before the switch is in the page or was read earlier,
// and one committed after it is delivered live, never both.
func (a *attachment) pageLocked() ([]store.Record, int, error) {
	p, err := a.hub.store.Page(a.name, a.from.Epoch, a.from.Seq, ReplayPageBytes)
	if err != nil {
		return nil, 0, err
	}
	a.live = len(p.Records) == p.Total
	if n := len(p.Records); n > 0 {
		// Not the client's position: a client ahead of this history (or
		// from another) must not have live notifications filtered by it.
		a.last = p.Records[n-1].Seq
		a.from = protocol.Resume{Epoch: p.Records[n-1].Epoch, Seq: a.last}
	} else if !a.live {
		return nil, 0, errors.New("history page is empty but more was counted")
	}
	return p.Records, p.Total, nil
}

// CatchingUp says the attachment has more history to replay (NextPage)
// before it receives live notifications. Call it from the goroutine that
// calls NextPage.
func (a *attachment) CatchingUp() bool {
	a.u.mu.Lock()
	defer a.u.mu.Unlock()
	return !a.live
}

// NextPage returns the next page of a catching-up attachment's replay, for
// the caller to write in order; live is true once that page was the last
// (notifications from then on are delivered to the subscriber). Call it
// only after the previous page was written, so a connection that does not
// read holds a page at most.
func (a *attachment) NextPage() (frames [][]byte, live bool, err error) {
	a.u.mu.Lock()
	defer a.u.mu.Unlock()
	if a.live {
		return nil, true, nil
	}
	recs, _, err := a.pageLocked()
	if err != nil {
		return nil, false, err
	}
	frames = make([][]byte, len(recs))
	for i, r := range recs {
		frames[i] = r.Frame
	}
	return frames, a.live, nil
}

// dropIfEmpty forgets a user left with no subscribers.
func (h *Local) dropIfEmpty(name string, u *user) {
	h.mu.Lock()
	u.mu.Lock()
	if len(u.subs) == 0 && h.users[name] == u {
		delete(h.users, name)
	}
	u.mu.Unlock()
	h.mu.Unlock()
}

// Detach stops live delivery to the attachment's subscriber.
func (a *attachment) Detach() {
	h := a.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if u := h.users[a.name]; u != nil {
		u.mu.Lock()
		u.remove(a)
		if len(u.subs) == 0 {
			delete(h.users, a.name)
		}
		u.mu.Unlock()
	}
}

// Cutoff is name's revocation cutoff (0: none).
func (h *Local) Cutoff(name string) int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.cutoffs[name]
}

// Revoke refuses name's tokens issued before notBefore from now on (stored,
// so it holds after a restart) and closes the live connections using them.
func (h *Local) Revoke(name string, notBefore int64) (int, error) {
	cut, err := h.store.SetRevoked(name, notBefore)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	h.cutoffs[name] = cut
	u := h.users[name]
	h.mu.Unlock()
	if u == nil {
		return 0, nil
	}
	var victims []Subscriber
	u.mu.Lock()
	for _, a := range u.subs {
		if a.sub.IssuedAt() < cut {
			victims = append(victims, a.sub)
		}
	}
	u.mu.Unlock()
	for _, s := range victims {
		s.Revoke()
	}
	return len(victims), nil
}

// Epoch names the stored history; it changes only when it was lost.
func (h *Local) Epoch() string { return h.store.Epoch() }

// Stats counts live connections, in all and per user.
func (h *Local) Stats() (int, map[string]int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	total, per := 0, make(map[string]int, len(h.users))
	for name, u := range h.users {
		u.mu.Lock()
		n := len(u.subs)
		u.mu.Unlock()
		if n > 0 {
			per[name] = n
			total += n
		}
	}
	return total, per
}

//go:build linux

package server

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux an idle connection holds no goroutine: the gateway's own epoll
// instance watches every authenticated socket that no reader is reading,
// and a readable one gets a short-lived goroutine that reads with gorilla
// while bytes are available, then re-arms the watch and ends (readFrames).
// A goroutine parked in a read would hold a stack (2 KB at least) and a g
// (~0.5 KB) per connection, most of an idle connection's memory.
//
// The watch is level-triggered and one-shot: after an event the socket is
// not watched until re-armed, so at most one reader runs per connection,
// and re-arming a socket that has bytes waiting reports it at once, so
// nothing that arrived meanwhile is missed. An event's data names the
// client's slot and the slot's generation, not the descriptor: a closed
// socket's number may be reused by the next accept, and an event for the
// old one (read from the kernel just before the close) then finds a newer
// generation in the slot and is ignored.

// pollEvents: readable (which includes the peer's close), one-shot.
const pollEvents = unix.EPOLLIN | unix.EPOLLONESHOT

// pollBatch is how many events one epoll_wait returns at most.
const pollBatch = 128

type poller struct {
	// file is the epoll instance, itself in the Go runtime's poller: the
	// loop waits for events by parking a goroutine, not by blocking a
	// thread in epoll_wait, and closing it ends the loop.
	file *os.File
	fd   int

	// mu guards closed against epoll_ctl on a descriptor number that
	// Close has given back (read lock: many ctl calls at once).
	mu     sync.RWMutex
	closed bool

	slotMu sync.Mutex
	slots  []pollSlot
	free   []uint32
}

// pollSlot is one watched socket's place, reused after it ends: an idle
// connection's or a parked handshake's (park.go).
type pollSlot struct {
	t   pollTarget
	gen uint32
}

// pollTarget is told when its socket is readable.
type pollTarget interface{ readable() }

func newPoller() (*poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("epoll: %w", err)
	}
	return &poller{file: os.NewFile(uintptr(fd), "epoll"), fd: fd}, nil
}

// run reads events until close and starts a reader for each readable
// connection.
func (p *poller) run() {
	rc, err := p.file.SyscallConn()
	if err != nil {
		return
	}
	events := make([]unix.EpollEvent, pollBatch)
	for {
		n := 0
		var werr error
		err := rc.Read(func(fd uintptr) bool {
			// Raw (it does not wait: timeout 0), as sock_linux.go's calls.
			r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, fd, uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
			n, werr = int(r), nil
			switch e {
			case 0:
			case unix.EINTR:
				n = 0
			default:
				n, werr = 0, e
			}
			return n > 0 || werr != nil
		})
		if err != nil || werr != nil {
			return // closed (epoll_wait fails on nothing else)
		}
		for i := range events[:n] {
			if t := p.lookup(uint32(events[i].Fd), uint32(events[i].Pad)); t != nil {
				t.readable()
			}
		}
	}
}

// close ends run; watched sockets are closed by their clients.
func (p *poller) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.file.Close()
}

func (p *poller) lookup(slot, gen uint32) pollTarget {
	p.slotMu.Lock()
	defer p.slotMu.Unlock()
	if int(slot) >= len(p.slots) || p.slots[slot].gen != gen {
		return nil
	}
	return p.slots[slot].t
}

// errPollerClosed: the gateway is shutting down.
var errPollerClosed = errors.New("poller closed")

// watch adds c's socket for its first read, in a slot of its own. c.mu is
// held and c is not closed, so its descriptor is still its own.
func (p *poller) watch(c *client) error {
	fd, err := p.add(c, c.tcp, &c.pollSlot, &c.pollGen)
	c.pollFD = int32(fd)
	return err
}

// watchParked watches a parked handshake's socket (park.go).
func (p *poller) watchParked(h *parked) error {
	_, err := p.add(h, h.c, &h.pollSlot, &h.pollGen)
	return err
}

// add gives t a slot (its number and generation stored in slot and gen
// before the watch starts) and watches sock's descriptor for t: added to
// the epoll set, or modified when a parked handshake added it already.
// The epoll_ctl runs under the socket's lock, so a socket closed meanwhile
// (a parked handshake resumed by shutdown or its deadline just as it was
// watched, and its read failed) fails with net.ErrClosed rather than
// watching a descriptor number that may be another socket's by then.
func (p *poller) add(t pollTarget, sock socket, slot, gen *uint32) (int, error) {
	sc, ok := sock.(*sockConn)
	if !ok { // every socket accepted on Linux is one (sock_linux.go)
		return -1, fmt.Errorf("poller: %T is not the gateway's own socket", sock)
	}
	p.slotMu.Lock()
	var n uint32
	if k := len(p.free); k > 0 {
		n = p.free[k-1]
		p.free = p.free[:k-1]
	} else {
		n = uint32(len(p.slots))
		p.slots = append(p.slots, pollSlot{})
	}
	p.slots[n].t = t
	*slot, *gen = n, p.slots[n].gen
	op := unix.EPOLL_CTL_ADD
	if sc.inPoll {
		op = unix.EPOLL_CTL_MOD
	}
	// Set under slotMu: whoever the event resumes looks the slot up under
	// it, after this.
	sc.inPoll = true
	p.slotMu.Unlock()
	if err := sc.control(func(fd int) error { return p.ctl(op, fd, n, *gen) }); err != nil {
		if op == unix.EPOLL_CTL_ADD {
			sc.inPoll = false // no event comes: nobody else reads it
		}
		p.release(t, slot)
		return sc.fd, err
	}
	return sc.fd, nil
}

// rearm watches c's socket again after a read. c.mu is held and c is not
// closed (see watch).
func (p *poller) rearm(c *client) error {
	return p.ctl(unix.EPOLL_CTL_MOD, int(c.pollFD), c.pollSlot, c.pollGen)
}

func (p *poller) ctl(op, fd int, slot, gen uint32) error {
	ev := unix.EpollEvent{Events: pollEvents, Fd: int32(slot), Pad: int32(gen)}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errPollerClosed
	}
	// Raw: epoll_ctl does not block, and entering the runtime's
	// system-call state costs more than the call (sock_linux.go).
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(p.fd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	if e != 0 {
		return fmt.Errorf("epoll_ctl: %w", e)
	}
	return nil
}

// forget frees c's slot once c has ended; an event still on its way
// finds a newer generation there. Its socket left the epoll set when it
// was closed.
func (p *poller) forget(c *client) {
	if c.pollFD < 0 {
		return // never watched
	}
	p.release(c, &c.pollSlot)
}

// forgetParked frees a resumed handshake's slot. Its socket stays in the
// epoll set, not armed (one-shot), until the connection's own watch
// re-arms it or it is closed.
func (p *poller) forgetParked(h *parked) { p.release(h, &h.pollSlot) }

// release frees t's slot, *slot (read under slotMu, which add wrote it
// under), if t still holds it.
func (p *poller) release(t pollTarget, slot *uint32) {
	p.slotMu.Lock()
	n := *slot
	if int(n) < len(p.slots) && p.slots[n].t == t {
		p.slots[n].t = nil
		p.slots[n].gen++
		p.free = append(p.free, n)
	}
	p.slotMu.Unlock()
}

// readable resumes the parked handshake unless the sweep or shutdown did.
func (h *parked) readable() {
	if h.resumed.CompareAndSwap(false, true) {
		h.g.resumeFromPoller(h)
	}
}

// nothingToRead reports whether c, a sockConn, has nothing to read yet:
// br (empty) reads once without waiting.
func nothingToRead(c socket, br *bufio.Reader) bool {
	sc, ok := c.(*sockConn)
	if !ok {
		return false
	}
	sc.failFast = true
	_, err := br.Peek(1)
	sc.failFast = false
	return err == errWouldBlock
}

// readable starts a reader for c unless it is closed (whoever closed it
// finishes it) or one runs.
func (c *client) readable() {
	c.mu.Lock()
	if c.closed || c.reading {
		c.mu.Unlock()
		return
	}
	c.reading = true
	c.mu.Unlock()
	go c.readFrames(nil)
}

// startReading hands c, authenticated, from the handshake's goroutine to
// the poller: frames that came with the auth frame are read first.
// lent is the read buffer c.br has borrowed. onPoller: the caller is the
// poller's goroutine, which must not wait in a read (a frame not yet
// whole), so a reader of its own reads them.
func (c *client) startReading(lent *bufio.Reader, onPoller bool) {
	if c.br.Buffered() > 0 {
		if onPoller {
			go c.readFrames(lent)
		} else {
			c.readFrames(lent)
		}
		return
	}
	lendBack(c.br, lent)
	c.arm(true)
}

// readFrames reads the frames that are there, with a read buffer borrowed
// for the time it reads (lent, or one from the pool), then re-arms the
// watch. It runs with c.reading set, so no other reader runs meanwhile and
// a close does not finish c: it does, when its read fails or it finds c
// closed.
func (c *client) readFrames(lent *bufio.Reader) {
	if lent == nil {
		lent = borrowBuffer(c.br, c.tcp)
	}
	for {
		if why, ok := c.readFrame(); !ok {
			c.g.finish(c, why)
			return
		}
		if c.br.Buffered() == 0 {
			break
		}
	}
	lendBack(c.br, lent)
	c.arm(false)
}

// arm watches c's socket (first: the first time), or finishes c if it was
// closed while it was being read.
func (c *client) arm(first bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.g.finish(c, "")
		return
	}
	p := c.g.poll
	var err error
	if first {
		err = p.watch(c)
	} else {
		err = p.rearm(c)
	}
	if err != nil {
		c.mu.Unlock()
		why := "server shutting down"
		if !errors.Is(err, errPollerClosed) {
			why = "cannot watch the socket: " + err.Error()
		}
		c.g.finish(c, why)
		return
	}
	c.reading = false
	c.mu.Unlock()
}

//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the WebSocket listener accepts with accept4(2) of its own and
// an accepted connection is a sockConn, not a *net.TCPConn. A connect
// then makes only the system calls the connection needs (accept4, the
// request's and the auth frame's reads, the 101's and auth_ok's writes,
// the idle watch's epoll_ctl): Go's accept adds setsockopt(TCP_NODELAY)
// (the listener's is inherited here), getsockname and an epoll_ctl into
// the runtime's poller. And every call is made without entering the
// runtime's system-call state (unix.RawSyscall: the calls on a
// non-blocking socket do not block): entering it woke the runtime's
// monitor thread (sysmon) whenever the process had been idle, and the
// monitor then polled every 20 µs for a millisecond; at a few thousand
// connects a second that was ~7% of the gateway's CPU per connect.
//
// A sockConn waits in the runtime's poller only when it must (a request
// or frame that has not arrived yet, a full send buffer): it then hands
// its descriptor to an *os.File (promote), which registers it there and
// from then on does its waiting, deadlines included.

// wsListener accepts the WebSocket connections.
type wsListener struct {
	addr net.Addr
	// file is the listening socket, in the runtime's poller: accept
	// waits on it for the next connection; Close ends the wait.
	file *os.File
	raw  syscall.RawConn
	// The accept loop's (one goroutine accepts): the callback raw.Read
	// calls and what it sets, here so an accept allocates nothing but
	// the connection.
	tryAccept func(fd uintptr) bool
	nfd       int
	rsa       unix.RawSockaddrAny
	aerr      error
}

// listenWS binds addr. Accepted sockets inherit TCP_NODELAY from the
// listening one (as net's do, which set it on each).
func listenWS(addr string) (*wsListener, error) {
	ln, err := listenTCP(addr)
	if err != nil {
		return nil, err
	}
	defer ln.Close() // the file holds the socket on, as a descriptor of its own
	f, err := ln.File()
	if err != nil {
		return nil, err
	}
	raw, err := f.SyscallConn()
	if err == nil {
		err = raw.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		})
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &wsListener{addr: ln.Addr(), file: f, raw: raw}
	l.tryAccept = l.accept4
	return l, nil
}

func (l *wsListener) Addr() net.Addr { return l.addr }

// Close stops accepting; a waiting accept returns an error.
func (l *wsListener) Close() error {
	if err := l.file.Close(); err != nil {
		return net.ErrClosed
	}
	return nil
}

// accept waits for the next connection. One goroutine accepts.
func (l *wsListener) accept() (socket, error) {
	if err := l.raw.Read(l.tryAccept); err != nil {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
	}
	if l.aerr != nil {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: os.NewSyscallError("accept4", l.aerr)}
	}
	return &sockConn{fd: l.nfd, raddr: addrPort(&l.rsa)}, nil
}

// accept4 accepts a connection on fd, the listening socket: false when
// there is none yet (raw.Read then waits for one).
func (l *wsListener) accept4(fd uintptr) bool {
	for {
		size := uint32(unsafe.Sizeof(l.rsa))
		r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, fd, uintptr(unsafe.Pointer(&l.rsa)),
			uintptr(unsafe.Pointer(&size)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
			l.nfd, l.aerr = int(r), nil
			return true
		case unix.EINTR, unix.ECONNABORTED: // the next one (as net does)
			continue
		case unix.EAGAIN:
			return false // wait for one
		}
		l.aerr = e
		return true
	}
}

// addrPort is a socket address as accept4 returns it.
func addrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}

// sockConn is an accepted TCP connection: a net.Conn over a non-blocking
// descriptor, read and written by raw system calls, outside the runtime's
// poller until it must wait (promote).
type sockConn struct {
	// mu is read-held while a system call uses fd, so Close (which holds
	// it) never closes a descriptor in use, whose number the next accept
	// could reuse; held by promote and the deadline setters.
	mu     sync.RWMutex
	fd     int
	closed bool
	// file holds fd once the connection had to wait (promote): the
	// runtime's poller watches it, file's deadlines are the connection's,
	// and closing file closes fd.
	file *os.File
	raw  syscall.RawConn // file's
	// The deadlines while not promoted: a call past one fails at once
	// (nothing waits, so nothing else needs them).
	rd, wd time.Time
	// wmu makes each Write whole on the wire, as net's write lock does.
	wmu   sync.Mutex
	raddr netip.AddrPort
	// failFast: the next Read, finding nothing, fails with errWouldBlock
	// rather than wait (nothingToRead). Set by the reader only.
	failFast bool
	// inPoll: the descriptor is in the gateway's epoll set (netpoll_linux.go).
	inPoll bool
}

// errWouldBlock: a Read with failFast set found nothing to read.
var errWouldBlock = errors.New("nothing to read yet")

var _ socket = (*sockConn)(nil)

func expired(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

func (c *sockConn) opError(op string, err error) error {
	// The errors are the system call's, or the poller's: a deadline, or
	// the file closed.
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, errno)
	} else if !errors.Is(err, os.ErrDeadlineExceeded) {
		err = net.ErrClosed
	}
	return &net.OpError{Op: op, Net: "tcp", Addr: c.RemoteAddr(), Err: err}
}

// rawRead is read(2) without the runtime's system-call state.
func rawRead(fd int, b []byte) (int, error) { return rawIO(unix.SYS_READ, fd, b) }

// rawWrite is write(2) without the runtime's system-call state.
func rawWrite(fd int, b []byte) (int, error) { return rawIO(unix.SYS_WRITE, fd, b) }

// rawIO makes the read(2) or write(2) system call trap on fd with b, again
// when a signal interrupts it.
func rawIO(trap uintptr, fd int, b []byte) (int, error) {
	for {
		r, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}

func (c *sockConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return 0, c.opError("read", net.ErrClosed)
	}
	if c.file == nil || c.failFast {
		if expired(c.rd) {
			c.mu.RUnlock()
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
		n, err := rawRead(c.fd, b)
		c.mu.RUnlock()
		if err != unix.EAGAIN {
			return c.readResult(n, err)
		}
		if c.failFast {
			return 0, errWouldBlock
		}
		if err := c.promote(); err != nil {
			return 0, c.opError("read", err)
		}
	} else {
		c.mu.RUnlock()
	}
	var (
		n    int
		rerr error
	)
	if err := c.raw.Read(func(fd uintptr) bool {
		n, rerr = rawRead(int(fd), b)
		return rerr != unix.EAGAIN
	}); err != nil {
		return 0, c.opError("read", err)
	}
	return c.readResult(n, rerr)
}

func (c *sockConn) readResult(n int, err error) (int, error) {
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *sockConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return 0, c.opError("write", net.ErrClosed)
	}
	if c.file == nil {
		if expired(c.wd) {
			c.mu.RUnlock()
			return 0, c.opError("write", os.ErrDeadlineExceeded)
		}
		for written < len(b) {
			n, err := rawWrite(c.fd, b[written:])
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				c.mu.RUnlock()
				return written, c.opError("write", err)
			}
			written += n
		}
		c.mu.RUnlock()
		if written == len(b) {
			return written, nil
		}
		if err := c.promote(); err != nil {
			return written, c.opError("write", err)
		}
	} else {
		c.mu.RUnlock()
	}
	var werr error
	if err := c.raw.Write(func(fd uintptr) bool {
		for written < len(b) {
			n, err := rawWrite(int(fd), b[written:])
			if err == unix.EAGAIN {
				return false // wait for room
			}
			if err != nil {
				werr = err
				return true
			}
			written += n
		}
		return true
	}); err != nil {
		return written, c.opError("write", err)
	}
	if werr != nil {
		return written, c.opError("write", werr)
	}
	return written, nil
}

// promote hands the descriptor to an *os.File in the runtime's poller,
// with the deadlines set so far, so the caller can wait.
func (c *sockConn) promote() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	if c.file != nil {
		return nil
	}
	// A non-blocking descriptor: os.NewFile registers it in the poller.
	f := os.NewFile(uintptr(c.fd), "tcp")
	raw, err := f.SyscallConn()
	if err == nil && !c.rd.IsZero() {
		err = f.SetReadDeadline(c.rd)
	}
	if err == nil && !c.wd.IsZero() {
		err = f.SetWriteDeadline(c.wd)
	}
	if err != nil {
		// Not pollable after all (cannot happen for a socket): the
		// connection is unusable.
		c.closed = true
		f.Close()
		return err
	}
	c.file, c.raw = f, raw
	return nil
}

func (c *sockConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.opError("close", net.ErrClosed)
	}
	c.closed = true
	if c.file != nil {
		return c.file.Close() // wakes its waiters
	}
	return unix.Close(c.fd)
}

// CloseWrite shuts the sending side down (a FIN after what is written).
func (c *sockConn) CloseWrite() error {
	return c.control(func(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) })
}

// SetLinger is net.TCPConn's: 0 makes Close reset the connection.
func (c *sockConn) SetLinger(sec int) error {
	l := unix.Linger{}
	if sec >= 0 {
		l = unix.Linger{Onoff: 1, Linger: int32(sec)}
	}
	return c.control(func(fd int) error { return unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l) })
}

func (c *sockConn) control(f func(fd int) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return net.ErrClosed
	}
	return f(c.fd)
}

func (c *sockConn) LocalAddr() net.Addr {
	var sa unix.Sockaddr
	c.control(func(fd int) (err error) { sa, err = unix.Getsockname(fd); return err })
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}
	}
	return nil
}

func (c *sockConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.raddr) }

func (c *sockConn) SetDeadline(t time.Time) error {
	return c.setDeadline(t, true, true)
}

func (c *sockConn) SetReadDeadline(t time.Time) error { return c.setDeadline(t, true, false) }

func (c *sockConn) SetWriteDeadline(t time.Time) error { return c.setDeadline(t, false, true) }

func (c *sockConn) setDeadline(t time.Time, read, write bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return net.ErrClosed
	case c.file != nil && read && write:
		return c.file.SetDeadline(t)
	case c.file != nil && read:
		return c.file.SetReadDeadline(t)
	case c.file != nil:
		return c.file.SetWriteDeadline(t)
	}
	if read {
		c.rd = t
	}
	if write {
		c.wd = t
	}
	return nil
}

// SyscallConn gives the descriptor to Control (writeNonBlocking, the
// poller's watch) while it is held open.
func (c *sockConn) SyscallConn() (syscall.RawConn, error) { return (*sockRaw)(c), nil }

// sockRaw is a sockConn's syscall.RawConn.
type sockRaw sockConn

func (r *sockRaw) Control(f func(fd uintptr)) error {
	return (*sockConn)(r).control(func(fd int) error { f(uintptr(fd)); return nil })
}

func (r *sockRaw) Read(f func(fd uintptr) bool) error {
	c := (*sockConn)(r)
	if err := c.promote(); err != nil {
		return err
	}
	return c.raw.Read(f)
}

func (r *sockRaw) Write(f func(fd uintptr) bool) error {
	c := (*sockConn)(r)
	if err := c.promote(); err != nil {
		return err
	}
	return c.raw.Write(f)
}

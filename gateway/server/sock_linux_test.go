//go:build linux

package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// acceptPair accepts one connection from a wsListener of its own: the
// gateway's side (a sockConn) and the client's.
func acceptPair(t *testing.T) (*sockConn, *net.TCPConn) {
	t.Helper()
	ln, err := listenWS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	s, err := ln.accept()
	if err != nil {
		t.Fatal(err)
	}
	c := s.(*sockConn)
	t.Cleanup(func() { c.Close() })
	return c, peer.(*net.TCPConn)
}

// The accepted socket has the addresses of the connection and
// TCP_NODELAY (inherited from the listener, where net sets it on each
// accepted socket with a system call).
func TestSockConnAddressesAndNoDelay(t *testing.T) {
	c, peer := acceptPair(t)
	if got, want := c.RemoteAddr().String(), peer.LocalAddr().String(); got != want {
		t.Errorf("RemoteAddr %s, want %s", got, want)
	}
	if got, want := c.LocalAddr().String(), peer.RemoteAddr().String(); got != want {
		t.Errorf("LocalAddr %s, want %s", got, want)
	}
	var nodelay int
	c.control(func(fd int) (err error) {
		nodelay, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
		return err
	})
	if nodelay != 1 {
		t.Errorf("TCP_NODELAY %d on the accepted socket, want 1", nodelay)
	}
}

// A read with nothing to read waits (in the runtime's poller, once
// promoted) until bytes come; at its deadline it fails as net's do; a
// deadline moved to now, or a close, ends a waiting read at once.
func TestSockConnReadWaits(t *testing.T) {
	c, peer := acceptPair(t)
	buf := make([]byte, 16)
	go func() {
		time.Sleep(50 * time.Millisecond)
		peer.Write([]byte("hello"))
	}()
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v; want hello", buf[:n], err)
	}

	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err = c.Read(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("timed out after %v, before the deadline", d)
	}

	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := c.Read(buf); done <- err }()
	time.Sleep(20 * time.Millisecond)
	c.SetReadDeadline(time.Now())
	if err := waitErr(t, done); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after its deadline was moved to now: %v, want a timeout", err)
	}

	c.SetReadDeadline(time.Time{})
	go func() { _, err := c.Read(buf); done <- err }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if err := waitErr(t, done); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed connection: %v, want net.ErrClosed", err)
	}
}

// Before any wait a passed deadline fails a read even with bytes there,
// as net's does (Shutdown and the auth timeout rely on it), and the
// peer's close is io.EOF.
func TestSockConnDeadlineBeforeWaitAndEOF(t *testing.T) {
	c, peer := acceptPair(t)
	peer.Write([]byte("x"))
	time.Sleep(20 * time.Millisecond)
	c.SetReadDeadline(time.Now())
	if _, err := c.Read(make([]byte, 4)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	if c.file != nil {
		t.Fatal("a read that did not wait promoted the socket to the runtime's poller")
	}
	c.SetReadDeadline(time.Time{})
	peer.Close()
	all, err := io.ReadAll(c)
	if err != nil || string(all) != "x" {
		t.Fatalf("read %q, %v; want x and then EOF", all, err)
	}
}

// A write that finds the peer's window full waits for room, whole, and
// fails at its deadline.
func TestSockConnWriteWaits(t *testing.T) {
	c, peer := acceptPair(t)
	// Buffers of a fixed size: autotuning grew loopback's receive buffer
	// (up to tcp_rmem's maximum, 32 MiB here) during the first write, and
	// the second then fit whole (seen in a fresh-clone run).
	if err := peer.SetReadBuffer(256 << 10); err != nil {
		t.Fatal(err)
	}
	if err := c.control(func(fd int) error {
		return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 256<<10)
	}); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 8<<20) // more than both socket buffers hold
	got := make(chan int, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		n, _ := io.Copy(io.Discard, io.LimitReader(peer, int64(len(big))))
		got <- int(n)
	}()
	if n, err := c.Write(big); err != nil || n != len(big) {
		t.Fatalf("wrote %d, %v; want %d", n, err, len(big))
	}
	if n := <-got; n != len(big) {
		t.Fatalf("the peer read %d bytes, want %d", n, len(big))
	}

	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	n, err := c.Write(big) // nobody reads now
	if !errors.Is(err, os.ErrDeadlineExceeded) || n == 0 || n == len(big) {
		t.Fatalf("write to a full socket: %d bytes, %v; want some and a timeout", n, err)
	}
}

// failFast: a read that finds nothing says so instead of waiting
// (nothingToRead), and one that finds bytes reads them.
func TestNothingToRead(t *testing.T) {
	c, peer := acceptPair(t)
	br := bufio.NewReader(c)
	if !nothingToRead(c, br) {
		t.Fatal("nothing sent, but nothingToRead is false")
	}
	if c.file != nil {
		t.Fatal("nothingToRead promoted the socket")
	}
	peer.Write([]byte("ab"))
	deadline := time.Now().Add(5 * time.Second)
	for nothingToRead(c, br) {
		if time.Now().After(deadline) {
			t.Fatal("bytes sent, but nothingToRead stays true")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if b, err := br.Peek(2); err != nil || string(b) != "ab" {
		t.Fatalf("peek %q, %v", b, err)
	}
}

// The gateway's sockets are not in the runtime's poller: a connection
// that never waited is in no epoll set but the gateway's own (net's
// sockets are registered at accept, an epoll_ctl per connect).
func TestAuthenticatedSocketIsOnlyInTheGatewaysPoller(t *testing.T) {
	g := serveGateway(t)
	ws := dialAuthed(t, g, "petr")
	defer ws.Close()
	var c *client
	deadline := time.Now().Add(5 * time.Second)
	for c == nil {
		g.mu.Lock()
		for _, slice := range g.clients {
			for cl := range slice {
				c = cl
			}
		}
		g.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no client")
		}
		time.Sleep(5 * time.Millisecond)
	}
	raw, err := c.tcp.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	raw.Control(func(s uintptr) { fd = int(s) })
	for epfd, fds := range epollSets(t) {
		_, watched := fds[fd]
		switch {
		case epfd == g.poll.fd && !watched:
			t.Errorf("the gateway's poller does not watch the idle connection's socket %d", fd)
		case epfd != g.poll.fd && watched:
			t.Errorf("epoll instance %d (the runtime's) watches the connection's socket %d", epfd, fd)
		}
	}
}

// epollSets lists this process's epoll instances and what each watches
// (/proc/self/fdinfo's tfd lines).
func epollSets(t *testing.T) map[int]map[int]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	sets := map[int]map[int]bool{}
	for _, e := range ents {
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || link != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		epfd, _ := strconv.Atoi(e.Name())
		sets[epfd] = map[int]bool{}
		for _, line := range strings.Split(string(info), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "tfd:" {
				n, _ := strconv.Atoi(f[1])
				sets[epfd][n] = true
			}
		}
	}
	return sets
}

func waitErr(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the read did not end")
		return nil
	}
}

// Handshakes that wait for the client hold no goroutine (park.go): a
// client that has connected and sent nothing, and one that has upgraded
// and sent no auth frame. Before, each held a handshaker parked in a
// read.
func TestWaitingHandshakesHoldNoGoroutine(t *testing.T) {
	const n = 200
	g := serveGateway(t)
	addr := g.WSAddr()
	warm := dialAuthed(t, g, "warm") // the gateway's own goroutines run now
	defer warm.Close()
	time.Sleep(50 * time.Millisecond)
	base := runtime.NumGoroutine()
	upgrade := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	buf := make([]byte, 1024)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i%2 == 1 {
			io.WriteString(c, upgrade)
			if err := readUntil(c, buf, "\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		pending := len(g.handshaking)
		g.mu.Unlock()
		// At most maxIdleHandshakers wait for the next connect.
		if gs := runtime.NumGoroutine(); pending == n && gs <= base+10+maxIdleHandshakers {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d goroutines with %d handshakes waiting (%d before them)", gs, pending, base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dialAuthed connects a gorilla client to g and authenticates it as user.
func dialAuthed(t *testing.T, g *Gateway, user string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+g.WSAddr()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := protocol.IssueToken(g.cfg.Secret, g.cfg.Issuer, user, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: token}); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ok protocol.AuthOK
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK {
		t.Fatalf("auth: %+v, %v", ok, err)
	}
	ws.SetReadDeadline(time.Time{})
	return ws
}

// readUntil reads from c until what was read holds suffix.
func readUntil(c net.Conn, buf []byte, suffix string) error {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n := 0
	for !strings.Contains(string(buf[:n]), suffix) {
		m, err := c.Read(buf[n:])
		if err != nil {
			return err
		}
		n += m
	}
	return nil
}

//go:build unix

package server

import "syscall"

// writeNonBlocking writes b to conn with one write(2) that does not wait:
// n is what the socket took (0 when it had no room). Through the
// connection's RawConn.Control, which holds the descriptor open (a Close
// meanwhile cannot hand it to another socket) without taking its write
// lock: a write blocked on it (gorilla answering the peer) must not hold
// up the deliverer.
func writeNonBlocking(conn syscall.Conn, b []byte) (n int, err error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var werr error
	err = rc.Control(func(fd uintptr) { n, werr = rawWrite(int(fd), b) })
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}

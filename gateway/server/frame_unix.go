//go:build unix

package server

import (
	"net"
	"syscall"
)

// writeNonBlocking writes b to conn with one write(2) that does not wait:
// n is what the socket took (0 when it had no room). Through the
// connection's RawConn, so a Close meanwhile cannot hand the descriptor
// to another socket.
func writeNonBlocking(conn *net.TCPConn, b []byte) (n int, err error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true // done, whatever it took: never wait here
			}
		}
	})
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

package peercred

import (
	"net"
	"syscall"
)

// Read asks the kernel who connected (SO_PEERCRED): the uid and gid of the
// process that called connect(2).
func Read(c *net.UnixConn) (Peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return Peer{}, err
	}
	if credErr != nil {
		return Peer{}, credErr
	}
	return Peer{UID: cred.Uid, GID: cred.Gid, Known: true}, nil
}

// Supported: every caller is identified.
const Supported = true

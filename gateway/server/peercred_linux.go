package server

import (
	"net"
	"syscall"
)

// peerCredentials asks the kernel who connected (SO_PEERCRED): the uid and
// gid of the process that called connect(2).
func peerCredentials(c *net.UnixConn) (peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return peer{}, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return peer{}, err
	}
	if credErr != nil {
		return peer{}, credErr
	}
	return peer{uid: cred.Uid, gid: cred.Gid, known: true}, nil
}

// peerCredentialsSupported: every caller is identified.
const peerCredentialsSupported = true

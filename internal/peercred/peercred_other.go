//go:build !linux

package peercred

import "net"

// Read is not implemented off Linux (the servers' target): the caller is
// unknown and the socket's mode is the only access control, as the servers
// warn at start.
func Read(*net.UnixConn) (Peer, error) { return Peer{}, nil }

// Supported: callers are not identified on this OS.
const Supported = false

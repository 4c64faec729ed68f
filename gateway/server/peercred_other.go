//go:build !linux

package server

import "net"

// peerCredentials is not implemented off Linux (the gateway's target): the
// caller is unknown and the socket's mode is the only access control, as
// the gateway warns at start.
func peerCredentials(*net.UnixConn) (peer, error) { return peer{}, nil }

// peerCredentialsSupported: callers are not identified on this OS.
const peerCredentialsSupported = false

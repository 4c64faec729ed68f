// Package peercred tells who is on the other end of a unix-socket
// connection, as the kernel saw it connect (SO_PEERCRED), and whether that
// caller is trusted: root, the server's own uid, or a member of a named
// group. The gateway's dispatch socket and the Telegram bot's socket both
// use it: opening either socket proves nothing (every analyst may), the
// peer's uid says who did, and cannot be forged by the caller.
package peercred

import (
	"context"
	"net"
)

// Peer is the process at the other end of a connection, as the kernel
// reported it when it connected.
type Peer struct {
	UID, GID uint32
	Known    bool // false where the OS gives no peer credentials
}

type peerKey struct{}

// ConnContext is an http.Server's ConnContext: it reads the peer's
// credentials once per connection, and every request on it carries them.
// A connection whose credentials cannot be read gets none, and then only
// what an unidentified caller may do (nothing, see Access.Identify).
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	p, err := Read(uc)
	if err != nil {
		return ctx
	}
	return WithPeer(ctx, p)
}

// WithPeer returns ctx carrying p (what ConnContext does with what the
// kernel said).
func WithPeer(ctx context.Context, p Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// FromContext is the peer ConnContext stored, if any.
func FromContext(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

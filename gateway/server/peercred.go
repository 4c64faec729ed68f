package server

import (
	"context"
	"net"
)

// peer is the process at the other end of a dispatch-socket connection,
// as the kernel reported it when it connected (SO_PEERCRED): not what the
// caller claims, so it cannot be forged.
type peer struct {
	uid, gid uint32
	known    bool // false where the OS gives no peer credentials
}

type peerKey struct{}

// peerContext is the dispatch server's ConnContext: it reads the peer's
// credentials once per connection, and every request on it carries them.
// A connection whose credentials cannot be read gets none, and then only
// what an unknown caller may do (nothing, see access.identify).
func peerContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	p, err := peerCredentials(uc)
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, peerKey{}, p)
}

func peerFrom(ctx context.Context) (peer, bool) {
	p, ok := ctx.Value(peerKey{}).(peer)
	return p, ok
}

package server

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Who may do what on the dispatch socket. Every analyst can open it (their
// notify-runner delivers as them), so opening it proves nothing. The
// kernel tells who connected (peercred.go):
//   - trusted callers (root, the gateway's own user, members of
//     WS_DISPATCH_TRUSTED_GROUP: the webapp's and the bot's users) may do
//     everything: dispatch to anyone, health, metrics, pprof, revoke;
//   - any other caller may only dispatch to the user its uid names, and
//     gets 403 for everything else.

// identity is a caller as the access rules see it.
type identity struct {
	uid     uint32
	name    string // the Unix user name of uid; "" when it has none
	trusted bool
	known   bool // the kernel told who it is
}

func (id identity) String() string {
	if !id.known {
		return "an unidentified caller"
	}
	if id.name == "" {
		return "uid " + strconv.FormatUint(uint64(id.uid), 10)
	}
	return fmt.Sprintf("uid %d (%s)", id.uid, id.name)
}

// identityTTL bounds how long a user's name and groups are trusted from
// the cache: a user removed from the trusted group loses its rights within
// it, and a dispatch costs a map read, not a read of /etc/passwd and
// /etc/group.
const identityTTL = 10 * time.Second

// access decides who a caller is, with a short-lived cache per uid.
type access struct {
	self         uint32 // the gateway's own uid
	trustedGroup string // WS_DISPATCH_TRUSTED_GROUP, "" for none
	trustedGID   string // its gid, as user.User.GroupIds spells it
	trustedGIDN  uint32 // the same as a number, for the peer's gid
	now          func() time.Time

	mu    sync.RWMutex
	cache map[uint32]cachedIdentity
}

type cachedIdentity struct {
	identity
	until time.Time
}

// newAccess resolves the trusted group (it must exist: a typo would
// otherwise lock the webapp out, or leave it out silently).
func newAccess(trustedGroup string) (*access, error) {
	a := &access{self: uint32(os.Geteuid()), trustedGroup: trustedGroup, now: time.Now,
		cache: map[uint32]cachedIdentity{}}
	if trustedGroup != "" {
		g, err := user.LookupGroup(trustedGroup)
		if err != nil {
			return nil, fmt.Errorf("trusted dispatch group %q: %w", trustedGroup, err)
		}
		n, err := strconv.ParseUint(g.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("trusted dispatch group %q: gid %q is not a number", trustedGroup, g.Gid)
		}
		a.trustedGID, a.trustedGIDN = g.Gid, uint32(n)
	}
	return a, nil
}

// identify says who made the request: from the peer credentials its
// connection carries (peerContext).
func (a *access) identify(ctx context.Context) identity {
	p, ok := peerFrom(ctx)
	switch {
	case !ok:
		return identity{} // credentials unreadable: trusted with nothing
	case !p.known:
		// No peer credentials on this OS: the socket's mode is the only
		// control, as before (the gateway warned at start).
		return identity{trusted: true}
	}
	now := a.now()
	a.mu.RLock()
	c, hit := a.cache[p.uid]
	a.mu.RUnlock()
	if !hit || !now.Before(c.until) {
		c = cachedIdentity{identity: a.lookup(p.uid), until: now.Add(identityTTL)}
		a.mu.Lock()
		a.cache[p.uid] = c
		a.mu.Unlock()
	}
	id := c.identity
	// A process running with the trusted group as its group (systemd's
	// Group=) is trusted whatever its user's listed groups; this is the
	// connection's, not the uid's, so it is not cached.
	if a.trustedGID != "" && p.gid == a.trustedGIDN {
		id.trusted = true
	}
	return id
}

// lookup resolves uid's name and whether the uid is trusted: root, the
// gateway's uid, or a user whose groups (primary or listed) include the
// trusted group.
func (a *access) lookup(uid uint32) identity {
	id := identity{uid: uid, known: true}
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err == nil {
		id.name = u.Username
	}
	switch {
	case uid == 0 || uid == a.self:
		id.trusted = true
	case a.trustedGID != "" && u != nil:
		if u.Gid == a.trustedGID {
			id.trusted = true
		} else if gids, err := u.GroupIds(); err == nil && slices.Contains(gids, a.trustedGID) {
			id.trusted = true
		}
	}
	return id
}

// whoIsTrusted names the trusted callers, for a 403's message.
func (a *access) whoIsTrusted() string {
	if a.trustedGroup == "" {
		return "root or the gateway's own user"
	}
	return "root, the gateway's own user or a member of group " + a.trustedGroup
}

package peercred

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

// Identity is a caller as access rules see it.
type Identity struct {
	UID     uint32
	Name    string // the Unix user name of UID; "" when it has none
	Trusted bool
	Known   bool // the kernel told who it is
}

func (id Identity) String() string {
	if !id.Known {
		return "an unidentified caller"
	}
	if id.Name == "" {
		return "uid " + strconv.FormatUint(uint64(id.UID), 10)
	}
	return fmt.Sprintf("uid %d (%s)", id.UID, id.Name)
}

// MayActFor reports whether the caller may act for user: a trusted caller
// for anyone, any other only for the user its uid names.
func (id Identity) MayActFor(user string) bool {
	return id.Trusted || (id.Name != "" && id.Name == user)
}

// TTL bounds how long a user's name and groups are trusted from the cache:
// a user removed from the trusted group loses its rights within it, and a
// request costs a map read, not a read of /etc/passwd and /etc/group.
const TTL = 10 * time.Second

// Access decides who a caller is, with a short-lived cache per uid. Safe
// for concurrent use.
type Access struct {
	self         uint32 // the server's own uid
	owner        string // how the server's own user is named in messages
	trustedGroup string // "" for none
	trustedGID   string // its gid, as user.User.GroupIds spells it
	trustedGIDN  uint32 // the same as a number, for the peer's gid
	now          func() time.Time

	mu    sync.RWMutex
	cache map[uint32]cachedIdentity
}

type cachedIdentity struct {
	Identity
	until time.Time
}

// NewAccess trusts root, the process's own uid (named owner in messages,
// e.g. "the gateway's own user") and the members of trustedGroup ("" for
// none). The group must exist: a typo would otherwise lock the trusted
// callers out, or leave them out silently.
func NewAccess(trustedGroup, owner string) (*Access, error) {
	a := &Access{self: uint32(os.Geteuid()), owner: owner, trustedGroup: trustedGroup, now: time.Now,
		cache: map[uint32]cachedIdentity{}}
	if trustedGroup != "" {
		gid, n, err := LookupGroup(trustedGroup)
		if err != nil {
			return nil, err
		}
		a.trustedGID, a.trustedGIDN = gid, n
	}
	return a, nil
}

// LookupGroup resolves a group name to its gid, as text and as a number.
func LookupGroup(name string) (string, uint32, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", 0, fmt.Errorf("group %q: %w", name, err)
	}
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return "", 0, fmt.Errorf("group %q: gid %q is not a number", name, g.Gid)
	}
	return g.Gid, uint32(n), nil
}

// Identify says who made the request: from the peer credentials its
// connection carries (ConnContext).
func (a *Access) Identify(ctx context.Context) Identity {
	p, ok := FromContext(ctx)
	return a.IdentifyPeer(p, ok)
}

// IdentifyPeer is Identify for a server that keeps each connection's
// peer itself (ok: its credentials were read) rather than in a context.
func (a *Access) IdentifyPeer(p Peer, ok bool) Identity {
	switch {
	case !ok:
		return Identity{} // credentials unreadable: trusted with nothing
	case !p.Known:
		// No peer credentials on this OS: the socket's mode is the only
		// control (the server warned at start).
		return Identity{Trusted: true}
	}
	now := a.now()
	a.mu.RLock()
	c, hit := a.cache[p.UID]
	a.mu.RUnlock()
	if !hit || !now.Before(c.until) {
		c = cachedIdentity{Identity: a.lookup(p.UID), until: now.Add(TTL)}
		a.mu.Lock()
		a.cache[p.UID] = c
		a.mu.Unlock()
	}
	id := c.Identity
	// A process running with the trusted group as its group (systemd's
	// Group=) is trusted whatever its user's listed groups; this is the
	// connection's, not the uid's, so it is not cached.
	if a.trustedGID != "" && p.GID == a.trustedGIDN {
		id.Trusted = true
	}
	return id
}

// lookup resolves uid's name and whether the uid is trusted: root, the
// server's uid, or a user whose groups (primary or listed) include the
// trusted group.
func (a *Access) lookup(uid uint32) Identity {
	id := Identity{UID: uid, Known: true}
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err == nil {
		id.Name = u.Username
	}
	switch {
	case uid == 0 || uid == a.self:
		id.Trusted = true
	case a.trustedGID != "" && u != nil:
		if u.Gid == a.trustedGID {
			id.Trusted = true
		} else if gids, err := u.GroupIds(); err == nil && slices.Contains(gids, a.trustedGID) {
			id.Trusted = true
		}
	}
	return id
}

// WhoIsTrusted names the trusted callers, for a 403's message.
func (a *Access) WhoIsTrusted() string {
	if a.trustedGroup == "" {
		return "root or " + a.owner
	}
	return "root, " + a.owner + " or a member of group " + a.trustedGroup
}

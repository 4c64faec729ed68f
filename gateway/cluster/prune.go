package cluster

import (
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Every node's live reader sees every user's messages, and its watches
// every user's connections and revocations, so without pruning a node
// would keep a few hundred bytes for every user ever seen. prune drops a
// user's entries once nothing on this node needs them:
//
//   - the belief of the user's last message (pubs), when the user has no
//     connection on this node, no write holds or waits for the user's
//     lock, and it was not used for pruneIdle. Without it the next write,
//     read or resume asks the stream's leader first (one round trip), so
//     nothing depends on how long it was kept;
//   - the watched view of the user's connections (connView), when it
//     holds none (the key was deleted) and the user has none here; a
//     connect without a view reads the key;
//   - a revocation cutoff older than any token still valid
//     (protocol.RevocationExpiredBefore): it can refuse nothing any more.
//
// A user with a live connection anywhere keeps its connView entry (the
// dispatch answer's "sent" counts from it).
var (
	pruneEvery = 30 * time.Second
	pruneIdle  = time.Minute
)

func (n *Node) pruneLoop() {
	defer n.wg.Done()
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case now := <-t.C:
			n.prune(now)
		}
	}
}

// prune drops what no longer needs keeping at now (see above). All under
// n.mu, as every path that creates or uses these entries: a connect
// registers its user under it, a write takes its reference under it.
func (n *Node) prune(now time.Time) {
	expired := protocol.RevocationExpiredBefore(now)
	n.mu.Lock()
	defer n.mu.Unlock()
	for name, p := range n.pubs {
		if p.refs == 0 && n.users[name] == nil && now.Sub(p.used) >= pruneIdle {
			delete(n.pubs, name)
		}
	}
	for name, st := range n.connView {
		if len(st.entries) == 0 && n.users[name] == nil && now.Sub(st.at) >= pruneIdle {
			delete(n.connView, name)
		}
	}
	for name, cut := range n.cutoffs {
		if cut < expired {
			delete(n.cutoffs, name)
		}
	}
}

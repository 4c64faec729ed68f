package cluster

import (
	"context"

	"github.com/keboola/analyst-alerts/gateway/hub"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// Notifications implements the server's batched read (POST
// /notifications/acks) from one read of the stored history.
func (n *Node) Notifications(user string, ids []string) (map[string]protocol.NotificationState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.WriteWait)
	defer cancel()
	recs, err := n.history(ctx, user, n.pubState(user))
	if err != nil {
		return nil, err
	}
	return hub.StatesOf(records(recs), ids), nil
}

package protocol

import "encoding/json"

// Dispatch socket paths (HTTP over the gateway's unix socket).
const (
	PathDispatch = "/dispatch"
	PathHealth   = "/health"
	PathRevoke   = "/revoke"
	PathMetrics  = "/metrics"

	DefaultDispatchSocket = "/run/ws-gateway/ws.sock"
	// MaxDispatchBytes bounds a dispatch body; a bigger one gets 413.
	MaxDispatchBytes = 1 << 20
)

// DispatchRequest is the body of POST /dispatch. Notification is kept raw so
// that every field a dispatcher sends reaches the app unchanged.
type DispatchRequest struct {
	User         string          `json:"user"`
	Notification json.RawMessage `json:"notification"`
}

// DispatchResponse answers a dispatch: Sent live connections reached; Stored
// and Seq say the notification is in the user's history at Seq (our
// extension; a seed dispatcher reads only Sent).
type DispatchResponse struct {
	Sent   int    `json:"sent"`
	Stored bool   `json:"stored"`
	Seq    uint64 `json:"seq"`
}

// HealthResponse answers GET /health. Epoch (ours, optional) names the
// gateway's history database: it changes only when that database was lost,
// and with it everything the gateway stored, revocation cutoffs included,
// so a webapp that sees it change sends its cutoffs again.
type HealthResponse struct {
	Status      string         `json:"status"`
	Connections int            `json:"connections"`
	Users       map[string]int `json:"users"`
	Epoch       string         `json:"epoch,omitempty"`
	// Node and Cluster are there in cluster mode only (ClusterHealth).
	Node    string         `json:"node,omitempty"`
	Cluster *ClusterHealth `json:"cluster,omitempty"`
	// OverdueRunners (ours, issue 15) lists the users whose notify-runner
	// stopped reporting (docs/health.md); absent when there is none.
	OverdueRunners []OverdueRunner `json:"overdue_runners,omitempty"`
}

// RevokeRequest is the body of POST /revoke, sent by the webapp on unlink:
// the gateway closes the user's live connections whose token was issued
// before NotBefore (unix seconds) and refuses such tokens from then on,
// across restarts.
type RevokeRequest struct {
	User      string `json:"user"`
	NotBefore int64  `json:"not_before"`
}

// RevokeResponse says how many live connections the revocation closed.
type RevokeResponse struct {
	Closed int `json:"closed"`
}

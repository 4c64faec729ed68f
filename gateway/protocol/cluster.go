package protocol

// ClusterHealth is the cluster part of GET /health, present only when the
// gateway runs as a node of a NATS cluster (docs/cluster.md).
type ClusterHealth struct {
	// NATS is the node's NATS connection: CONNECTED, RECONNECTING, ...
	// While it is not CONNECTED the node refuses dispatches with 503.
	NATS       string       `json:"nats"`
	NATSServer string       `json:"nats_server,omitempty"` // the server it uses, without credentials
	Nodes      []NodeHealth `json:"nodes"`                 // every node seen, this one first
}

// NodeHealth is one gateway node as its heartbeats show it.
type NodeHealth struct {
	Name        string `json:"name"`
	Connections int    `json:"connections"`
	Alive       bool   `json:"alive"` // a heartbeat within the last 10 s
}

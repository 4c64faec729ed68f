# Gateway cluster mode (docs/cluster.md) on this machine: three NATS
# servers (JetStream, R3) and three gateway nodes, the connections and the
# dispatches split over the nodes, CPU summed over all six processes. Beside
# the single-node run above (same load generator), so the cost of cluster
# mode against the embedded store is read off the two tables.
# BENCH_CLUSTER_CONNS / BENCH_CLUSTER_DISPATCHES change the load.
log "gateway cluster benchmark (3 NATS servers, 3 nodes)"
mkdir -p "$ROOT/build/bin"
go build -o "$ROOT/build/bin/nats-server" github.com/nats-io/nats-server/v2
go build -o "$ROOT/build/bin/ws-gateway" ./gateway/cmd/ws-gateway
go build -o "$ROOT/build/bin/ws-loadgen" ./gateway/cmd/ws-loadgen
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$ROOT/build/bin/ws-loadgen" --gateway "$ROOT/build/bin/ws-gateway" \
	--nats-server "$ROOT/build/bin/nats-server" --nodes 3 \
	--conns "${BENCH_CLUSTER_CONNS:-15000}" --dispatches "${BENCH_CLUSTER_DISPATCHES:-50000}" --dispatchers 32

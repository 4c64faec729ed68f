# Gateway connect path: one WebSocket connect+auth over real loopback
# sockets (wall and CPU µs, allocations; both sides in one process), and
# the auth frame and token parses it runs.
log "gateway connect-path benchmarks"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
go test -run '^$' -bench 'BenchmarkConnectAuth$' -benchtime 8000x -count 3 ./gateway/server/
go test -run '^$' -bench 'ParseAuthFrame|VerifyToken' -benchmem -benchtime 20000x ./gateway/protocol/

# Gateway dispatch path, in-process: one dispatch over the real unix socket
# delivered to a held WebSocket (gateway/server BenchmarkDispatch), and the
# two measured HTTP choices: net/http against fasthttp as the dispatch
# server, and the load generator's client against protocol.Client
# (gateway/cmd/ws-loadgen). cpu-µs/op is the process's CPU per request.
log "gateway dispatch-path benchmarks"
go test -run '^$' -bench 'BenchmarkDispatch$' -benchtime 30000x -count 3 ./gateway/server/
go test -run '^$' -bench . -benchtime 30000x -count 3 ./gateway/cmd/ws-loadgen/

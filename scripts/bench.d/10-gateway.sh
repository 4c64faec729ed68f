# Gateway load test: a real ws-gateway process measured by ws-loadgen
# (connects+auths/s, RSS per held connection, dispatches/s, latency, loss),
# after the store's own benchmark (its CPU per append, journal and database).
# Then Centrifugo (scripts/centrifugo.sh) under the same load, and both
# side by side with the machine's floor (BENCH_CENTRIFUGO=0 skips it).
# BENCH_CONNS / BENCH_DISPATCHES / BENCH_PACED change the load.
log "gateway store benchmark"
go test -run '^$' -bench 'Append$|AppendSteady' -benchmem -benchtime 50000x ./gateway/store/
go test -run '^$' -bench AppendPaced -benchtime 10000x ./gateway/store/
go test -run '^$' -bench Open -benchtime 1x ./gateway/store/
log "gateway benchmark"
mkdir -p "$ROOT/build/bin"
go build -o "$ROOT/build/bin/ws-gateway" ./gateway/cmd/ws-gateway
go build -o "$ROOT/build/bin/ws-loadgen" ./gateway/cmd/ws-loadgen
# The gateway and the load generator each hold one socket per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
peer=()
if [ "${BENCH_CENTRIFUGO:-1}" != 0 ]; then
	source "$ROOT/scripts/centrifugo.sh"
	peer=(--centrifugo "$(centrifugo_bin)")
fi
"$ROOT/build/bin/ws-loadgen" --gateway "$ROOT/build/bin/ws-gateway" "${peer[@]}" \
	--conns "${BENCH_CONNS:-15000}" --dispatches "${BENCH_DISPATCHES:-30000}" \
	--paced "${BENCH_PACED:-10000}" --dispatchers 32
# A gateway restart's resume storm: BENCH_RESUME_APPS apps resume 200 stored
# notifications each at once (the gateway's CPU and write calls per frame).
log "gateway resume storm"
"$ROOT/build/bin/ws-loadgen" --gateway "$ROOT/build/bin/ws-gateway" --resume-storm "${BENCH_RESUME_APPS:-5000}"

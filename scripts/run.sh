#!/usr/bin/env bash
# `make run`: the whole system locally on embedded defaults. State (the
# generated development secret, the gateway's history, the webapp's data)
# lives in .local/; sockets in .local/run/. Each part starts itself from
# scripts/run.d/. Ctrl-C stops everything.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"

export LOCAL_DIR="$ROOT/.local"
mkdir -p "$LOCAL_DIR/bin" "$LOCAL_DIR/run"
chmod 700 "$LOCAL_DIR"
if [ ! -s "$LOCAL_DIR/jwt-secret" ]; then
	log "generating a development secret in .local/jwt-secret"
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LOCAL_DIR/jwt-secret")
fi
DESKTOP_JWT_SECRET="$(cat "$LOCAL_DIR/jwt-secret")"
export DESKTOP_JWT_SECRET
export WS_DISPATCH_SOCKET="$LOCAL_DIR/run/ws.sock"

PIDS=()
# start NAME CMD...: runs a part in the background, its output prefixed.
start() {
	local name="$1"; shift
	"$@" > >(sed -u "s/^/[$name] /") 2>&1 &
	PIDS+=("$!")
}
# Stop every part with SIGTERM (each shuts down gracefully) on Ctrl-C or exit.
stop_all() { trap - EXIT INT TERM; kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; }
trap stop_all EXIT INT TERM
run_parts "$ROOT/scripts/run.d"
wait

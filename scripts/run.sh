#!/usr/bin/env bash
# `make run`: the whole system locally on embedded defaults. State (the
# generated development secret, the gateway's history, the webapp's data)
# lives in .local/; sockets in .local/run/. Each part starts itself from
# scripts/run.d/ and waits until it answers; the first part that fails
# stops everything started so far with one line saying which. Ctrl-C stops
# everything, each part with its own shutdown line.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# LOCAL_DIR may be set elsewhere (the test of this script does).
export LOCAL_DIR="${LOCAL_DIR:-$ROOT/.local}"
mkdir -p "$LOCAL_DIR/bin" "$LOCAL_DIR/run"
chmod 700 "$LOCAL_DIR"

# One `make run` at a time: a second one would find the gateway's database
# locked and the webapp's port taken after starting half the parts.
exec 9>"$LOCAL_DIR/run.lock"
if ! flock -n 9; then
	echo "make run: already running in another terminal (it holds $LOCAL_DIR/run.lock); stop it with Ctrl-C there first" >&2
	exit 1
fi
"$ROOT/scripts/setup.sh"
apt_install curl

if [ ! -s "$LOCAL_DIR/jwt-secret" ]; then
	log "generating a development secret in .local/jwt-secret"
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LOCAL_DIR/jwt-secret")
fi
DESKTOP_JWT_SECRET="$(cat "$LOCAL_DIR/jwt-secret")"
export DESKTOP_JWT_SECRET
export WS_DISPATCH_SOCKET="$LOCAL_DIR/run/ws.sock"

PIDS=()
READY=()
# start NAME CMD...: runs a part in the background, its output prefixed.
# The prefixing sed ignores Ctrl-C so that it lives to print the part's
# shutdown lines (it ends when the part closes its output). The part does
# not inherit the run lock, so a part left behind by a killed `make run`
# cannot block the next one.
start() {
	local name="$1"; shift
	"$@" 9>&- > >(trap '' INT TERM; exec sed -u "s/^/[$name] /") 2>&1 &
	PIDS+=("$!")
	LAST_PID="$!"
}
# wait_ready NAME SECONDS CHECK...: waits until CHECK succeeds; if the part
# started last exits first, or CHECK never succeeds, stops everything.
wait_ready() {
	local name="$1" seconds="$2" i; shift 2
	for ((i = 0; i < seconds * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$LAST_PID" 2>/dev/null; then
			fail "$name did not start (its last lines are above)"
		fi
		sleep 0.1
	done
	fail "$name did not answer within ${seconds}s (its lines are above)"
}
# ready LINE: one line of the summary printed once everything is up.
ready() { READY+=("$*"); }
fail() {
	printf 'make run: %s; stopping what was started\n' "$*" >&2
	stop_all
	exit 1
}
# Stop every part with SIGTERM (each shuts down gracefully and says so).
stop_all() {
	trap - EXIT INT TERM
	[ ${#PIDS[@]} -eq 0 ] || kill "${PIDS[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'echo; log "stopping"; stop_all; exit 0' INT TERM
run_parts "$ROOT/scripts/run.d"

# The environment the docs' commands assume (ws-gateway health/send, the
# notify tools), for a second terminal.
cat >"$LOCAL_DIR/env" <<ENV
# source this file: the commands of make run's system, on its sockets
export PATH="$LOCAL_DIR/bin:\$PATH"
export WS_DISPATCH_SOCKET="$WS_DISPATCH_SOCKET"
export DESKTOP_JWT_SECRET="\$(cat "$LOCAL_DIR/jwt-secret")"
ENV
log "ready:"
for line in "${READY[@]}"; do printf '    %s\n' "$line" >&2; done
printf '    in another terminal: source %s/env; ws-gateway health\n' "${LOCAL_DIR#"$ROOT/"}" >&2
wait

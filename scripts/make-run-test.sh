#!/usr/bin/env bash
# The test behind scripts/test.d/40-make-run.sh (a script of its own so its
# traps and background jobs do not leak into the test runner's shell).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
work="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
die() { echo "make-run test: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -30 "$f" >&2; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export LOCAL_DIR="$work/local" WS_GATEWAY_PORT="$(free_port)" WEBAPP_PORT="$(free_port)" NOTIFY_RUN_EVERY=1h
unset DISPLAY WAYLAND_DISPLAY
# Job control: make run gets a process group of its own with SIGINT not
# ignored, as in a terminal, so the test can send the Ctrl-C a terminal
# sends to the whole group.
set -m
bash scripts/run.sh >"$work/first.log" 2>&1 &
first=$!
pids+=("$first")
for _ in $(seq 600); do
	grep -q '^==> ready:' "$work/first.log" && break
	kill -0 "$first" 2>/dev/null || die "the first make run exited before it was ready"
	sleep 0.2
done
grep -q '^==> ready:' "$work/first.log" || die "the first make run was not ready in 120 s"
grep -q "dashboard: http://127.0.0.1:$WEBAPP_PORT/dashboard" "$work/first.log" || die "the ready block does not name the dashboard's real address"
if grep -q $'\033' "$work/first.log"; then die "ANSI escapes in make run's output to a file"; fi

# Development sign-in offers the local user the examples were installed
# for, and that user's dashboard lists them (not an empty one).
me="${NOTIFY_USER:-${USER:-$(id -un)}}"
web="http://127.0.0.1:$WEBAPP_PORT"
curl -sf --max-time 5 "$web/auth/dev" | grep -q "value=\"$me@example.com\"" ||
	die "the dev sign-in form does not offer $me@example.com"
curl -sf --max-time 5 -c "$work/cookies" -o /dev/null --data-urlencode "email=$me@example.com" -d next=/dashboard "$web/auth/dev/login" ||
	die "dev sign-in as $me failed"
curl -sf --max-time 30 -b "$work/cookies" "$web/dashboard" | grep -q 'data-script="revenue_drop.py"' ||
	die "$me's dashboard does not list the example scripts"

# The commands the ready block prints, as printed.
(
	source "$LOCAL_DIR/env"
	ws-gateway health >"$work/health.log" 2>&1
	ws-gateway send --user "$(id -un)" --title "make run test" --message "hello" >"$work/send.log" 2>&1
) || die "the printed commands (source env; ws-gateway health/send) failed"

# A second make run refuses at once, with one line, and leaves the first up.
rc=0
bash scripts/run.sh >"$work/second.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || die "a second make run did not fail"
grep -q "already running" "$work/second.log" || die "a second make run did not say why it stopped"
curl -sf --max-time 5 "http://127.0.0.1:$WEBAPP_PORT/health" >/dev/null || die "the second make run disturbed the first"

# Ctrl-C: every part says it stopped, and make run exits 0.
kill -INT -- "-$first"
for _ in $(seq 100); do kill -0 "$first" 2>/dev/null || break; sleep 0.1; done
kill -0 "$first" 2>/dev/null && die "make run did not stop within 10 s of Ctrl-C"
rc=0
wait "$first" || rc=$?
[ "$rc" -eq 0 ] || die "make run exited $rc after Ctrl-C"
grep -q "^==> stopping" "$work/first.log" || die "make run did not say it was stopping"
for part in gateway webapp notify-runner; do
	grep -q "^\[$part\] .*stopped" "$work/first.log" || die "$part printed no shutdown line"
done

# A part that cannot start (the webapp's port is taken) stops everything
# started before it, with one line naming it.
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(300)' "$WEBAPP_PORT" </dev/null >/dev/null 2>&1 &
pids+=("$!")
sleep 0.5
rc=0
bash scripts/run.sh >"$work/failed.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || die "make run with the webapp's port taken did not fail"
grep -q "^make run: webapp did not start" "$work/failed.log" || die "make run did not name the part that failed"
grep -q "^\[gateway\] .*gateway stopped" "$work/failed.log" || die "the gateway started before the failure was not stopped"
echo "make run: ready, printed commands, second start, failed start and Ctrl-C all behave"

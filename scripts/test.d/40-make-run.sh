# `make run` as a new user meets it, on ports and a state folder of its own
# (no display, so the server side only): it comes up with one "ready" block,
# the commands it prints work as printed, a second one refuses at once, a
# part that cannot start stops everything with one line, and Ctrl-C stops
# every part with its own shutdown line. Its output has no ANSI escapes
# when it is not a terminal.
log "make run: start, a second start, a failed start, Ctrl-C"
bash "$ROOT/scripts/make-run-test.sh"

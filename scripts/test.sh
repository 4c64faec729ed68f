#!/usr/bin/env bash
# The test command (README): set-up, static checks, every Go test with the
# race detector, short fuzz runs, then each part's own suites in
# scripts/test.d/ (browser, desktop end to end).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"

log "gofmt"
unformatted="$(gofmt -l $(git ls-files '*.go'))"
if [ -n "$unformatted" ]; then
	echo "not gofmt-ed:" >&2
	echo "$unformatted" >&2
	exit 1
fi
log "go vet"
go vet ./...
log "staticcheck"
staticcheck ./...
log "go test -race"
go test -race -count=1 -timeout 15m ./...
run_parts "$ROOT/scripts/test.d"
log "all tests passed"

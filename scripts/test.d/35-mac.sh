# macOS and the cross-platform type checks (issue 16): every package of the
# app type-checked for darwin and windows with the Wails build tags, cgo
# files included (internal/crosscheck; `make crosscheck` alone).
# shellcheck shell=bash

log "mac: type check for darwin and windows (make crosscheck)"
GOFLAGS= go run ./internal/cmd/crosscheck

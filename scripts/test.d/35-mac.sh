# macOS and the cross-platform type checks (issue 16): every package of the
# app type-checked for darwin and windows with the Wails build tags, cgo
# files included (internal/crosscheck; `make crosscheck` alone).
# shellcheck shell=bash

log "mac: type check for darwin and windows (make crosscheck)"
GOFLAGS= go run ./internal/cmd/crosscheck

# The workflows run only on GitHub; what can be checked here is: actionlint
# (expressions, contexts, and shellcheck on every `run:` script) and
# shellcheck on the scripts they call. The bundle path agrees with
# wails.json: desktop/macbundle's Go test.
log "mac: actionlint and shellcheck on the GitHub workflows"
actionlint .github/workflows/*.yml
shellcheck build/darwin/*.sh

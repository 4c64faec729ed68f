#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine: Debian
# packages, Go tools, npm packages. Idempotent; a second run is quick and
# offline. Each part adds what it needs in scripts/setup.d/.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
run_parts "$ROOT/scripts/setup.d"
go mod download

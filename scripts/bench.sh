#!/usr/bin/env bash
# `make bench`: every part's benchmark, each printing its figures.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
run_parts "$ROOT/scripts/bench.d"

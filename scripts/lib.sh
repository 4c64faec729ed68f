# Shared helpers for the scripts in this folder; sourced, not run.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
# Debian 12 ships WebKitGTK 4.1; every build of the desktop app needs this tag.
export GOFLAGS="${GOFLAGS:--tags=webkit2_41}"

# Bold only on a terminal: a log file gets plain text.
log() { if [ -t 2 ]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# apt_install PKG...: installs the Debian packages not yet installed; does
# nothing (and touches no network) when all are present.
apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "apt-get install ${missing[*]}"
	if [ ! -f /tmp/.analyst-apt-updated ]; then
		$SUDO apt-get update -qq && touch /tmp/.analyst-apt-updated
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# go_tool NAME MODULE@VERSION: installs a Go tool unless that version is there.
go_tool() {
	local name="$1" mod="$2" stamp
	stamp="$(go env GOPATH)/bin/.$name.version"
	if command -v "$name" >/dev/null && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return 0; fi
	log "go install $mod"
	go install "$mod"
	echo "$mod" >"$stamp"
}

# run_parts DIR: runs every *.sh in DIR in name order, sourced so they share
# this shell's functions and variables.
run_parts() {
	local f
	for f in "$1"/*.sh; do
		[ -e "$f" ] || continue
		# shellcheck disable=SC1090
		source "$f"
	done
}

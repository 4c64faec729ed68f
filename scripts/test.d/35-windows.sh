# Windows desktop app (issue 16): cross-build the app and its per-user NSIS
# installer (scripts/build-windows-installer.sh, the same one `make release`
# uses), then check what the installer registers and holds. The build lands
# in .local/windows/ (Go's build cache makes a rebuild quick).
# shellcheck shell=bash

log "windows: installer build and check"
win_setup="$("$ROOT/scripts/build-windows-installer.sh" "$ROOT/.local/windows")"
ANALYST_WIN_SETUP="$win_setup" ANALYST_WIN_NSIS_LOG="$ROOT/.local/windows-installer.log" \
	go test -count=1 ./desktop/internal/wininstaller/

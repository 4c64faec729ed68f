#!/usr/bin/env bash
# build-windows-installer.sh OUTDIR: cross-builds the Windows desktop app
# (GOOS=windows, pure Go: Wails uses WebView2 through syscalls, no cgo) and
# wraps it in the per-user NSIS installer build/windows/installer/project.nsi
# with Debian's makensis. Writes OUTDIR/analyst-alerts-<version>-windows-amd64-setup.exe
# and prints its path. The version comes from wails.json (info.productVersion),
# the sign-in link scheme from gateway/protocol's DefaultURLScheme, so both
# have one definition. `make test` and `make release` call this; the
# makensis log goes to .local/windows-installer.log.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
out="${1:?usage: $0 OUTDIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["productVersion"])' "$ROOT/wails.json")"
scheme="$(sed -n 's/^[[:space:]]*DefaultURLScheme[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$ROOT/gateway/protocol/desktopapi.go")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "wails.json productVersion '$version' is not x.y.z" >&2; exit 1; }
[ -n "$scheme" ] || { echo "no DefaultURLScheme in gateway/protocol/desktopapi.go" >&2; exit 1; }
command -v makensis >/dev/null || { echo "makensis missing: run ./scripts/setup.sh (Debian's nsis)" >&2; exit 1; }
[ -f "$ROOT/frontend/dist/app/index.html" ] || { echo "frontend/dist/app missing: run ./scripts/setup.sh" >&2; exit 1; }

exe="$out/analyst-alerts.exe"
setup="$out/analyst-alerts-$version-windows-amd64-setup.exe"
log "windows: go build $exe"
# The icon, manifest (per-monitor DPI, Common Controls 6) and version
# resources, as `wails build` links them: a .syso in the main package's folder
# that only a windows/amd64 build picks up; removed again after the build.
syso="$ROOT/analyst-alerts_windows_amd64.syso"
trap 'rm -f "$syso"' EXIT
(cd "$ROOT" && GOFLAGS='' go run ./desktop/internal/cmd/winres -icon build/windows/icon.ico -version "$version" -out "$syso")
# -H windowsgui: a tray app opens no console window. The tags are the ones
# `wails build` passes for a production build.
(cd "$ROOT" && CGO_ENABLED=0 GOOS=windows GOARCH=amd64 GOFLAGS='' \
	go build -trimpath -tags desktop,production -ldflags "-s -w -H windowsgui" -o "$exe" .)
rm -f "$syso"
log "windows: makensis $setup"
# makensis resolves the script's relative paths (the icon) from its folder.
# Its full log (-V4: every command as compiled, macros and defines expanded)
# is kept in .local/ for the test that reads the installer's registry lines.
nsis_log="$ROOT/.local/windows-installer.log"
mkdir -p "$ROOT/.local"
if ! (cd "$ROOT/build/windows/installer" && makensis -V4 -WX \
	-DAPP_EXE="$exe" -DVERSION="$version" -DSCHEME="$scheme" -DOUTFILE="$setup" project.nsi) >"$nsis_log" 2>&1; then
	tail -20 "$nsis_log" >&2
	exit 1
fi
rm -f "$exe"
echo "$setup"

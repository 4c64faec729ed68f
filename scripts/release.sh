#!/usr/bin/env bash
# release.sh [OUTDIR]: `make release`. Builds what can be built on Linux into
# OUTDIR (default build/release/): the desktop app's package analyst-alerts
# (.deb and .rpm), the server's analyst-alerts-server (.deb and .rpm), the
# Windows installer (*setup*.exe, scripts/build-windows-installer.sh) and
# SHA256SUMS over all of them. The version is wails.json's
# info.productVersion (the one definition; the tag workflow checks the tag
# against it). The macOS disk image is built on a Mac by the workflow.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
out="${1:-$ROOT/build/release}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["productVersion"])' "$ROOT/wails.json")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "wails.json productVersion '$version' is not x.y.z" >&2; exit 1; }
arch="$(go env GOARCH)"
[ -f "$ROOT/frontend/dist/app/index.html" ] || { echo "frontend/dist/app missing: run ./scripts/setup.sh" >&2; exit 1; }

stage="$out/stage"
rm -rf "$stage" "$out"/*.deb "$out"/*.rpm "$out"/*setup*.exe "$out/SHA256SUMS"
mkdir -p "$stage"
cd "$ROOT" || exit 1
log "release $version: build the binaries"
# -trimpath: no build machine paths in the binaries; -s -w: no symbol
# tables; the server's binaries static (CGO_ENABLED=0), for any distribution.
# RELEASE_FAST=1 (make test's install test) builds as the other tests do,
# from their build cache: the same code, without those three (a cold
# -trimpath build of everything costs CI about 2.5 minutes).
flags=(-trimpath -ldflags "-s -w")
server_cgo=0
if [ "${RELEASE_FAST:-}" = 1 ]; then flags=(); server_cgo="$(go env CGO_ENABLED)"; fi
go build "${flags[@]}" -tags desktop,production,webkit2_41 -o "$stage/analyst-alerts" .
for cmd in gateway/cmd/ws-gateway webapp/cmd/webapp webapp/cmd/notify-runner webapp/cmd/notify-scripts webapp/cmd/notify-bot; do
	CGO_ENABLED="$server_cgo" go build "${flags[@]}" -o "$stage/$(basename "$cmd")" "./$cmd"
done
go build -o "$stage/.linux-package" ./internal/release/cmd/linux-package
for format in deb rpm; do
	"$stage/.linux-package" -config build/linux/nfpm-app.yaml -format "$format" -out "$out" -version "$version" -arch "$arch" -stage "$stage" >/dev/null
	"$stage/.linux-package" -config deploy/nfpm-server.yaml -format "$format" -out "$out" -version "$version" -arch "$arch" -stage "$stage" >/dev/null
done

# The Windows installer comes from its own script (issue 16, Windows part).
# RELEASE_SKIP_WINDOWS=1: the Linux install test's build (make test builds
# and checks the installer in its own hook already).
if [ "${RELEASE_SKIP_WINDOWS:-}" = 1 ]; then
	:
elif [ -x "$ROOT/scripts/build-windows-installer.sh" ]; then
	"$ROOT/scripts/build-windows-installer.sh" "$out" >/dev/null
else
	log "release: scripts/build-windows-installer.sh missing: no Windows installer"
fi
rm -rf "$stage"
cd "$out" || exit 1
shopt -s nullglob
artifacts=(*.deb *.rpm *setup*.exe)
sha256sum -- "${artifacts[@]}" >SHA256SUMS
log "release $version in $out:"
ls -l -- "${artifacts[@]}" SHA256SUMS >&2

# Desktop app (issue 6): the page's unit tests (Vitest, XSS payloads
# included), the cross-platform type checks CI can do here, the end to end
# run of the built app under Xvfb on a private D-Bus with a real Secret
# Service, and the popover UI driven by headless Chromium through the dev
# build. Screenshots land in test-artifacts/desktop/.
# shellcheck shell=bash

log "desktop: vitest"
(cd "$ROOT/frontend" && npx vitest run)

log "desktop: Windows build, macOS type check of the pure-Go services"
GOOS=windows go build -tags desktop,production -o /dev/null .
# tray and shell use cgo on macOS (AppKit); everything else must build without it.
CGO_ENABLED=0 GOOS=darwin go vet $(go list ./desktop/... | grep -v -e /desktop/tray -e /desktop/shell -e /desktop/e2e)

log "desktop: build the Linux app"
go build -tags desktop,production,webkit2_41 -o "$ROOT/build/bin/analyst-alerts" .

desktop_tmp="$(mktemp -d)"
# The dev build serves the page and live bindings to headless Chromium.
go build -tags dev,webkit2_41 -o "$desktop_tmp/analyst-alerts-dev" .
go test -c -o "$desktop_tmp/auth.test" ./desktop/auth
go test -c -o "$desktop_tmp/e2e.test" ./desktop/e2e
# The real webapp in the end-to-end run needs the real helper (the test
# binary runs away from the source tree and cannot build it).
go build -o "$desktop_tmp/notify-scripts" ./webapp/cmd/notify-scripts
mkdir -p "$ROOT/test-artifacts/desktop"
: >"$ROOT/test-artifacts/desktop/dbus-daemon.log"
log "desktop: real Secret Service and end to end (Xvfb, private D-Bus)"
ANALYST_REAL_KEYRING=1 ANALYST_E2E_APP="$ROOT/build/bin/analyst-alerts" \
	ANALYST_E2E_DEV_APP="$desktop_tmp/analyst-alerts-dev" ANALYST_ROOT="$ROOT" \
	ANALYST_E2E_HELPER="$desktop_tmp/notify-scripts" \
	ANALYST_E2E_ARTIFACTS="$ROOT/test-artifacts/desktop" \
	ANALYST_DBUS_LOG="$ROOT/test-artifacts/desktop/dbus-daemon.log" \
	dbus-run-session --dbus-daemon="$ROOT/scripts/desktop-dbus-daemon.sh" -- "$ROOT/scripts/desktop-session.sh" sh -c \
	"'$desktop_tmp/auth.test' -test.run TestRealSecretService -test.v && '$desktop_tmp/e2e.test' -test.v -test.timeout 5m"
rm -rf "$desktop_tmp"

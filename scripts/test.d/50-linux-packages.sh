# Linux packages (issue 16): make release's build into .local/release, then
# installs both .debs on this machine with dpkg (internal/release/installtest):
# the app under Xvfb with a private D-Bus and keyring, opened by a sign-in
# link through xdg-open; the server's users, modes, units and an alert end
# to end through its installed binaries; dpkg -r/--purge afterwards. Then
# both .rpms with rpm -i --nodeps (Fedora's dependencies are not in Debian's
# rpmdb): their files, modes, scriptlets, declared dependencies, rpm -e. Needs
# root (CI's machine runs make test as root); skipped otherwise.
# shellcheck shell=bash
if [ "$(id -u)" != 0 ]; then
	log "linux packages: not root, install test skipped"
else
	pkg_start=$SECONDS
	log "linux packages: build (scripts/release.sh)"
	RELEASE_FAST=1 RELEASE_SKIP_WINDOWS=1 "$ROOT/scripts/release.sh" "$ROOT/.local/release"
	pkg_tmp="$(mktemp -d)"
	go test -c -o "$pkg_tmp/installtest.test" ./internal/release/installtest
	go build -o "$pkg_tmp/notify-scripts" ./webapp/cmd/notify-scripts
	version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["productVersion"])' "$ROOT/wails.json")"
	arch="$(go env GOARCH)"
	rpm_arch="$(rpm -qp --qf '%{ARCH}' "$ROOT/.local/release/analyst-alerts-${version}-1."*.rpm)"
	log "linux packages: dpkg -i, run, dpkg -r; rpm -i, rpm -e"
	ANALYST_PKG_APP="$ROOT/.local/release/analyst-alerts_${version}_${arch}.deb" \
		ANALYST_PKG_SERVER="$ROOT/.local/release/analyst-alerts-server_${version}_${arch}.deb" \
		ANALYST_PKG_APP_RPM="$ROOT/.local/release/analyst-alerts-${version}-1.${rpm_arch}.rpm" \
		ANALYST_PKG_SERVER_RPM="$ROOT/.local/release/analyst-alerts-server-${version}-1.${rpm_arch}.rpm" \
		ANALYST_E2E_HELPER="$pkg_tmp/notify-scripts" \
		dbus-run-session --dbus-daemon="$ROOT/scripts/desktop-dbus-daemon.sh" -- "$ROOT/scripts/desktop-session.sh" \
		"$pkg_tmp/installtest.test" -test.v -test.timeout 5m
	rm -rf "$pkg_tmp"
	log "linux packages: $((SECONDS - pkg_start)) s"
fi

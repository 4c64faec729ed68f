# Desktop app (issue 6): what building, testing and screenshotting the Wails
# tray app needs on Debian 12 (see shared PLATFORM notes and docs/desktop.md).
# shellcheck shell=bash

# Build: GTK 3 + WebKitGTK 4.1 (hence the webkit2_41 tag) through cgo.
apt_install libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config gcc
# Headless runs: a virtual X server, a private session bus, screenshots, and
# a real Secret Service (gnome-keyring) for the keychain test.
apt_install xvfb xauth dbus dbus-x11 x11-apps x11-utils imagemagick gnome-keyring libsecret-tools
# The popover's UI test drives the dev build with Debian's Chromium
# (playwright-core from npm, which downloads no browser of its own).
apt_install chromium
# The machine image brings Node 20 (Vite 7 needs >= 20.19); Debian's only if none.
command -v npm >/dev/null || apt_install nodejs npm

# The root package embeds frontend/dist: the page built into dist/app
# (gitignored), or without it the committed dist/placeholder page that says
# to run make setup. npm ci only when the lockfile
# changed since the last install; vite build only when a source is newer.
desktop_frontend() {
	local fe="$ROOT/frontend" stamp="$ROOT/frontend/node_modules/.analyst-lock"
	[ -f "$fe/package.json" ] || return 0
	# Trees built before the page moved to dist/app: its old output would sit
	# untracked beside the placeholder (and in the embed).
	rm -rf "$fe/dist/index.html" "$fe/dist/assets"
	if [ ! -f "$stamp" ] || ! cmp -s "$fe/package-lock.json" "$stamp"; then
		log "npm ci (frontend)"
		(cd "$fe" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$fe/package-lock.json" "$stamp"
	fi
	if [ ! -f "$fe/dist/app/index.html" ] || [ -n "$(find "$fe/src" "$fe/index.html" "$fe/package-lock.json" -newer "$fe/dist/app/index.html" -print -quit)" ]; then
		log "vite build (frontend)"
		(cd "$fe" && npm run --silent build)
	fi
}
desktop_frontend

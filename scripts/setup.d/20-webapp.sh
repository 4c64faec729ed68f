# Webapp browser tests: Debian's Chromium driven by npm playwright-core
# (which downloads no browser of its own), installed in webapp/e2e/.
# python3 runs the analysts' scripts in the tests (through notify-scripts).
apt_install chromium python3
# Node may come from elsewhere with its own npm; Debian's only when missing.
command -v npm >/dev/null || apt_install nodejs npm
if ! cmp -s "$ROOT/webapp/e2e/package-lock.json" "$ROOT/webapp/e2e/node_modules/.installed-lock.json" 2>/dev/null; then
	log "npm ci (webapp/e2e)"
	(cd "$ROOT/webapp/e2e" && npm ci --no-audit --no-fund --loglevel=error &&
		cp package-lock.json node_modules/.installed-lock.json)
fi

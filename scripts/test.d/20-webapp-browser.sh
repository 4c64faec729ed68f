# Webapp browser tests: headless Debian Chromium driven by playwright-core
# against the real binaries (ws-gateway, webapp in dev and OIDC sign-in
# modes, a local OIDC provider). Screenshots: test-artifacts/webapp/.
log "webapp browser tests (headless Chromium)"
(cd "$ROOT/webapp/e2e" && npm test)

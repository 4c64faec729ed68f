# The desktop tray app against the local webapp and gateway, when there is a
# display to show it on (a headless machine runs the server side only).
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
	log "building the desktop app"
	go build -tags desktop,production,webkit2_41 -o "$LOCAL_DIR/bin/analyst-alerts" .
	export ANALYST_SERVER_URL="http://127.0.0.1:8080" ANALYST_WS_URL="ws://127.0.0.1:${WS_GATEWAY_PORT:-8765}/"
	start desktop "$LOCAL_DIR/bin/analyst-alerts"
	log "desktop app: Sign in opens $ANALYST_SERVER_URL/desktop/link; without an installed link handler (build/linux/install.sh), copy the page's link and run: .local/bin/analyst-alerts 'keboola-analyst://auth?token=...'"
else
	log "no display: the desktop app is not started (on a desktop: make desktop; ANALYST_SERVER_URL=http://127.0.0.1:8080 build/bin/analyst-alerts)"
fi

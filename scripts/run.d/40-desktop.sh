# The desktop tray app against the local webapp and gateway, when there is a
# display to show it on (a headless machine runs the server side only).
ws_url="ws://127.0.0.1:${WS_GATEWAY_PORT:-8765}/"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
	log "building the desktop app"
	go build -tags desktop,production,webkit2_41 -o "$LOCAL_DIR/bin/analyst-alerts" .
	start desktop env ANALYST_SERVER_URL="$WEBAPP_URL" ANALYST_WS_URL="$ws_url" "$LOCAL_DIR/bin/analyst-alerts"
	sleep 0.5
	kill -0 "$LAST_PID" 2>/dev/null || fail "the desktop app did not start (its last lines are above)"
	ready "desktop:   running; Sign in opens $WEBAPP_URL/desktop/link. Without an installed link handler (build/linux/install.sh), copy the page's link and run:"
	ready "           ANALYST_SERVER_URL=$WEBAPP_URL ANALYST_WS_URL=$ws_url .local/bin/analyst-alerts 'keboola-analyst://auth?token=...'"
else
	ready "desktop:   not started (no display). On a desktop: make desktop; ANALYST_SERVER_URL=$WEBAPP_URL ANALYST_WS_URL=$ws_url build/bin/analyst-alerts"
fi

# The webapp in development sign-in mode (AUTH_MODE=dev, loopback only),
# sharing the gateway's secret and dispatch socket. Its data lives in
# .local/webapp-data; each user's scripts in
# .local/webapp-data/dev-home/<user>/user/notifications/ (where
# 30-notify-runner.sh puts the examples for the local user), run through the
# real notify-scripts helper, directly (no sudo) as in development.
log "building webapp and notify-scripts"
go build -o "$LOCAL_DIR/bin/webapp" ./webapp/cmd/webapp
go build -o "$LOCAL_DIR/bin/notify-scripts" ./webapp/cmd/notify-scripts
WEBAPP_PORT="${WEBAPP_PORT:-8080}"
dev_user="${NOTIFY_USER:-${USER:-$(id -un)}}"
start webapp env AUTH_MODE=dev WEBAPP_DEV_USER="$dev_user" WEBAPP_ADDR="127.0.0.1:$WEBAPP_PORT" DATA_DIR="$LOCAL_DIR/webapp-data" \
	NOTIFY_BOT_SOCKET="$LOCAL_DIR/run/bot.sock" \
	NOTIFY_SCRIPTS_HELPER="$LOCAL_DIR/bin/notify-scripts" NOTIFY_ANALYST_GROUP="$(id -gn)" \
	"$LOCAL_DIR/bin/webapp"
export WEBAPP_URL="http://127.0.0.1:$WEBAPP_PORT"
wait_ready webapp 15 curl -sf --max-time 2 "$WEBAPP_URL/health"
ready "dashboard: $WEBAPP_URL/dashboard  (development sign-in as $dev_user@example.com)"

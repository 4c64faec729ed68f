# notify-runner for `make run`: runs the example scripts of the local user
# every 30 s (NOTIFY_RUN_EVERY) and delivers their alerts to the gateway
# ($WS_DISPATCH_SOCKET). The user's home is the webapp's development home
# for that user ($LOCAL_DIR/webapp-data/dev-home/USER, the folder the webapp
# hands notify-scripts in development), so the dashboard and the desktop
# app list the same scripts. Chart images go where the webapp serves them
# (DATA_DIR/images). Alerts to Telegram go to notify-bot (25-notify-bot.sh),
# which delivers them to the stand-in Bot API unless a real token is set.
NOTIFY_USER="${NOTIFY_USER:-${USER:-$(id -un)}}"
notify_home="$LOCAL_DIR/webapp-data/dev-home/$NOTIFY_USER"
mkdir -p "$notify_home/user/notifications" "$LOCAL_DIR/webapp-data/images"
# Copy the examples once; never overwrite scripts the user has edited.
cp -rn "$ROOT/examples/notifications/." "$notify_home/user/notifications/"
log "building notify-runner and notify-scripts"
go build -o "$LOCAL_DIR/bin/notify-runner" ./webapp/cmd/notify-runner
go build -o "$LOCAL_DIR/bin/notify-scripts" ./webapp/cmd/notify-scripts
start notify-runner env \
	HOME="$notify_home" \
	NOTIFY_USER="$NOTIFY_USER" \
	WS_DISPATCH_SOCKET="$WS_DISPATCH_SOCKET" \
	NOTIFY_BOT_SOCKET="$LOCAL_DIR/run/bot.sock" \
	NOTIFICATION_IMAGES_DIR="$LOCAL_DIR/webapp-data/images" \
	"$LOCAL_DIR/bin/notify-runner" --every "${NOTIFY_RUN_EVERY:-30s}"
# A runner that cannot start (bad flag, unreadable home) exits at once.
sleep 0.5
kill -0 "$LAST_PID" 2>/dev/null || fail "notify-runner did not start (its last lines are above)"
ready "scripts:   $notify_home/user/notifications  (run every ${NOTIFY_RUN_EVERY:-30s})"

# The webapp in development sign-in mode (AUTH_MODE=dev, loopback only),
# sharing the gateway's secret and dispatch socket. Its data lives in
# .local/webapp; users' script folders in .local/home/<user>/user/notifications/.
log "building webapp"
go build -o "$LOCAL_DIR/bin/webapp" ./webapp/cmd/webapp
helper="$ROOT/webapp/server/testdata/notify-scripts-standin"
if [ -d "$ROOT/webapp/cmd/notify-scripts" ]; then
	go build -o "$LOCAL_DIR/bin/notify-scripts" ./webapp/cmd/notify-scripts && helper="$LOCAL_DIR/bin/notify-scripts"
fi
example="$LOCAL_DIR/home/dev/user/notifications"
if [ ! -d "$example" ]; then
	mkdir -p "$example"
	cat >"$example/example_check.py" <<'PY'
# An example notification script: print one JSON object.
import json, random
drop = random.randint(1, 20)
print(json.dumps({
    "notify": drop > 5,
    "title": "Revenue drop",
    "message": f"Revenue is down {drop}% against last week.",
    "cooldown": "1h",
    "data": {"drop_pct": drop},
}))
PY
fi
WEBAPP_PORT="${WEBAPP_PORT:-8080}"
start webapp env AUTH_MODE=dev WEBAPP_ADDR="127.0.0.1:$WEBAPP_PORT" DATA_DIR="$LOCAL_DIR/webapp" \
	NOTIFY_SCRIPTS_HELPER="$helper" NOTIFY_SCRIPTS_HOME_ROOT="$LOCAL_DIR/home" \
	"$LOCAL_DIR/bin/webapp"
log "webapp: open http://127.0.0.1:$WEBAPP_PORT/dashboard and sign in as dev@example.com (development sign-in)"

# The gateway on its defaults (ws://127.0.0.1:8765/), its history under
# .local/gateway and its dispatch socket in .local/run/.
log "building ws-gateway"
go build -o "$LOCAL_DIR/bin/ws-gateway" ./gateway/cmd/ws-gateway
export WS_GATEWAY_STATE_DIR="$LOCAL_DIR/gateway"
# The runner watcher's Telegram alerts go to notify-bot (25-notify-bot.sh).
export WS_GATEWAY_BOT_SOCKET="$LOCAL_DIR/run/bot.sock"
start gateway "$LOCAL_DIR/bin/ws-gateway" serve
wait_ready gateway 15 "$LOCAL_DIR/bin/ws-gateway" health --socket "$WS_DISPATCH_SOCKET"
ready "gateway:   ws://127.0.0.1:${WS_GATEWAY_PORT:-8765}/  (dispatch socket $WS_DISPATCH_SOCKET)"

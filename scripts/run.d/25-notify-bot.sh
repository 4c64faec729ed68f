# notify-bot, the Telegram bot behind .local/run/bot.sock, sharing the
# webapp's DATA_DIR (.local/webapp-data: telegram_users.json, its outbox).
# Without TELEGRAM_BOT_TOKEN it talks to the stand-in Bot API
# (telegram-standin), whose page shows each chat and lets you type as the
# Telegram user: send /start there, or press Link in the dashboard's
# Telegram card. With TELEGRAM_BOT_TOKEN=<BotFather's token> in the
# environment it talks to Telegram itself (see docs/telegram.md).
log "building notify-bot and telegram-standin"
go build -o "$LOCAL_DIR/bin/notify-bot" ./webapp/cmd/notify-bot
go build -o "$LOCAL_DIR/bin/telegram-standin" ./webapp/cmd/telegram-standin
export NOTIFY_BOT_SOCKET="$LOCAL_DIR/run/bot.sock"
bot_api="${TELEGRAM_API_URL:-}"
bot_token="${TELEGRAM_BOT_TOKEN:-}"
if [ -z "$bot_token" ]; then
	standin_addr="${TELEGRAM_STANDIN_ADDR:-127.0.0.1:8081}"
	bot_token="1000000001:DEV-standin-token_not-a-secret-000000"
	bot_api="http://$standin_addr"
	start telegram-standin env TELEGRAM_STANDIN_ADDR="$standin_addr" TELEGRAM_BOT_TOKEN="$bot_token" \
		"$LOCAL_DIR/bin/telegram-standin"
	log "telegram stand-in: open $bot_api/ to chat with the bot as a Telegram user"
fi
start notify-bot env TELEGRAM_BOT_TOKEN="$bot_token" ${bot_api:+TELEGRAM_API_URL="$bot_api"} \
	DATA_DIR="$LOCAL_DIR/webapp-data" NOTIFY_BOT_SOCKET="$NOTIFY_BOT_SOCKET" \
	WEBAPP_PUBLIC_URL="http://127.0.0.1:${WEBAPP_PORT:-8080}" WS_DISPATCH_SOCKET="$WS_DISPATCH_SOCKET" \
	NOTIFY_SCRIPTS_RUN_AS=direct NOTIFY_SCRIPTS_HELPER="$LOCAL_DIR/bin/notify-scripts" \
	NOTIFY_SCRIPTS_HOME_ROOT="$LOCAL_DIR/webapp-data/dev-home" NOTIFY_ANALYST_GROUP="$(id -gn)" \
	"$LOCAL_DIR/bin/notify-bot"

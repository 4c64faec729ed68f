# notify-bot: alerts per second from the bot socket to the stand-in Bot API
# (Telegram's limits raised, so the figure is the bot's own capacity; in
# production Telegram allows ~30/s), and the cost of the outbox per message
# (a durable, fsynced put and its removal; alone and with 16 dispatchers,
# whose commits are batched).
log "telegram bot benchmarks"
go test -run '^$' -bench . -benchtime 2s ./webapp/telegram/notifybot/
# The bot's poll of its open alerts as the gateway pays for it: 1,000 open
# alerts asked one GET /notification each (older gateways) against one
# POST /notifications/acks; requests and the ws-gateway process's CPU per
# poll.
go test -run '^$' -bench BenchmarkAckPoll -benchtime 20x -count 3 ./gateway/server/

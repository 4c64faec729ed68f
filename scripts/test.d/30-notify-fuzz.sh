# Short fuzz runs of what the notify tools take from analysts' scripts: the
# JSON output, script names, and the text escaped for Telegram. Longer runs:
# raise FUZZTIME.
for target in FuzzParseOutput FuzzValidName; do
	log "fuzz $target (${FUZZTIME:-10s})"
	go test -run='^$' -fuzz="^$target\$" -fuzztime="${FUZZTIME:-10s}" ./webapp/notifyscript
done
log "fuzz FuzzFormatHTML (${FUZZTIME:-10s})"
go test -run='^$' -fuzz='^FuzzFormatHTML$' -fuzztime="${FUZZTIME:-10s}" ./webapp/botclient

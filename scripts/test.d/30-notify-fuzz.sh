# Short fuzz runs of what the notify tools take from analysts' scripts: the
# JSON output, script names, and the text escaped for Telegram. Longer runs:
# raise FUZZTIME. A count of inputs (not a duration): go test -fuzz with a
# duration can fail with "context deadline exceeded" on a loaded machine.
for target in FuzzParseOutput FuzzValidName; do
	log "fuzz $target (${FUZZTIME:-100000x})"
	go test -run='^$' -fuzz="^$target\$" -fuzztime="${FUZZTIME:-100000x}" ./webapp/notifyscript
done
log "fuzz FuzzFormatHTML (${FUZZTIME:-50000x})"
go test -run='^$' -fuzz='^FuzzFormatHTML$' -fuzztime="${FUZZTIME:-50000x}" ./webapp/botclient

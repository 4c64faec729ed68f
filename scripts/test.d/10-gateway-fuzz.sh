# Short fuzz runs of the two parsers that take input from strangers: the
# WebSocket first frame and the dispatch body. Longer runs: raise FUZZTIME.
for target in FuzzParseAuthFrame FuzzParseDispatch; do
	log "fuzz $target (${FUZZTIME:-15s})"
	go test -run='^$' -fuzz="^$target\$" -fuzztime="${FUZZTIME:-15s}" ./gateway/protocol
done

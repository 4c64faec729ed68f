# Short fuzz runs of the two parsers that take input from strangers: the
# WebSocket first frame and the dispatch body. Longer runs: raise FUZZTIME.
# A count of inputs (not a duration): go test -fuzz with a duration can fail
# with "context deadline exceeded" on a loaded machine.
for target in FuzzParseAuthFrame FuzzParseDispatch; do
	log "fuzz $target (${FUZZTIME:-150000x})"
	go test -run='^$' -fuzz="^$target\$" -fuzztime="${FUZZTIME:-150000x}" ./gateway/protocol
done

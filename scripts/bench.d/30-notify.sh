# notify tools: the runner's own cost per script (process group start and
# clean-up, parsing, image check and copy, delivery to both sinks) next to
# a whole python3 script run, whose interpreter start-up dominates.
log "notify tools benchmarks"
go test -run '^$' -bench . -benchmem -benchtime 2s \
	./webapp/notifyscript/ ./webapp/notifyimage/ ./webapp/notifyrunner/

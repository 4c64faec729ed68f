# Webapp: the desktop app's refresh call and a refused token, in-process.
log "webapp benchmarks"
go test -run '^$' -bench . -benchmem ./webapp/server/

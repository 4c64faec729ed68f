# The shipped nginx location in front of a real gateway.
log "deploy: nginx in front of the gateway"
go test -race -count=1 -tags nginx ./deploy/

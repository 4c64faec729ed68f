# Go tools used by `make test` and `make bench`.
go_tool staticcheck honnef.co/go/tools/cmd/staticcheck@v0.8.2

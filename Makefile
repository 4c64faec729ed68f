# The README's two commands are `make run` and `make test`; both set up what
# a fresh machine lacks first (scripts/setup.sh is idempotent and quick when
# everything is present). Each part of the system hooks into these through
# its own file in scripts/{setup,test,bench,run}.d/.
.PHONY: run test bench setup fuzz clean desktop release

run:
	./scripts/run.sh

test:
	./scripts/test.sh

bench:
	./scripts/bench.sh

setup:
	./scripts/setup.sh

# The Linux desktop app into build/bin/ (setup builds the page into frontend/dist/app first).
desktop: setup
	go build -tags desktop,production,webkit2_41 -o build/bin/analyst-alerts .

# Linux packages (.deb, .rpm: app and server), the Windows installer and
# SHA256SUMS into build/release/ (scripts/release.sh; docs/deploy.md).
release: setup
	./scripts/release.sh

clean:
	rm -rf build/bin .local

# Type-check the desktop app for macOS (arm64, amd64) and Windows with the
# Wails build tags, cgo files included (internal/crosscheck), and go vet ./...
# for Windows, tests included; `make test` runs it too.
.PHONY: crosscheck
crosscheck:
	GOFLAGS= go run ./internal/cmd/crosscheck

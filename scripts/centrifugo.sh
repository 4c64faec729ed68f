# Centrifugo, the peer `make bench` measures our gateway beside (issue 17):
# built from the Go module proxy into .local/ once, for the benchmark only
# (nothing that ships or any test needs it). Sourced by bench.d scripts;
# centrifugo_bin prints the binary's path, building it when it is missing.
# shellcheck shell=bash
CENTRIFUGO_VERSION="v6.9.1"

centrifugo_bin() {
	local dir="$ROOT/.local/centrifugo-$CENTRIFUGO_VERSION"
	if [ ! -x "$dir/centrifugo" ]; then
		log "go install github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION (once, into .local/)"
		# Its own module graph, not ours: GOFLAGS' build tags are ours.
		(cd "$ROOT" && GOFLAGS='' GOBIN="$dir" go install \
			-ldflags "-X github.com/centrifugal/centrifugo/v6/internal/build.Version=${CENTRIFUGO_VERSION#v}" \
			"github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION") >&2
	fi
	echo "$dir/centrifugo"
}

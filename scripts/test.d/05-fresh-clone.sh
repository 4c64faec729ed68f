# A Go developer's first commands work on a fresh clone, before any make
# target: the clone has no frontend/dist/app, only the committed placeholder
# page the root package embeds then (assets.go). It checks what is committed
# (HEAD), as a clone gets it. And the real frontend build, which setup has
# just run here, leaves git status clean.
# shellcheck shell=bash
log "fresh clone: go build ./... and go vet ./... before any make target"
(
	fresh="$(mktemp -d)"
	trap 'rm -rf "$fresh"' EXIT
	git clone --quiet --no-hardlinks "$ROOT" "$fresh/repo"
	if [ -e "$fresh/repo/frontend/dist/app" ]; then
		echo "fresh clone: frontend/dist/app is committed; it must be built, not committed" >&2
		exit 1
	fi
	cd "$fresh/repo" && go build ./... && go vet ./...
)

log "the frontend build leaves git status clean"
dirty="$(git -C "$ROOT" status --porcelain --untracked-files=all -- frontend/dist)"
if [ -n "$dirty" ]; then
	echo "the frontend build changed or added files git sees under frontend/dist:" >&2
	echo "$dirty" >&2
	exit 1
fi

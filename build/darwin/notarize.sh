#!/usr/bin/env bash
# notarize.sh FILE: submits FILE (a .zip of the app, or the .dmg) to Apple's
# notary service, waits, and fails unless the result is Accepted.
# `notarytool submit --wait` exits 0 even when the result is Invalid, so the
# status is read from its JSON; on failure Apple's log (which says what was
# rejected) is printed. Needs APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD.
# Used by .github/workflows/macos.yml; runs on macOS only.
set -euo pipefail
file="$1"
auth=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
result="$(xcrun notarytool submit "$file" "${auth[@]}" --wait --output-format json)"
echo "$result"
id="$(jq -r '.id // empty' <<<"$result")"
status="$(jq -r '.status // empty' <<<"$result")"
if [ "$status" != "Accepted" ]; then
	echo "::error::notarization of $file: status '${status:-none}'"
	if [ -n "$id" ]; then
		xcrun notarytool log "$id" "${auth[@]}"
	fi
	exit 1
fi

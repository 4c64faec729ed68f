#!/bin/sh
# Installs the built app for the current user: binary, icon, .desktop file,
# and the keboola-analyst:// handler. Run from the repository after
# `make desktop`.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
bin="${XDG_BIN_HOME:-$HOME/.local/bin}"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
install -Dm755 "$here/../bin/analyst-alerts" "$bin/analyst-alerts"
install -Dm644 "$here/analyst-alerts.png" "$data/icons/hicolor/256x256/apps/analyst-alerts.png"
sed "s|^Exec=analyst-alerts|Exec=$bin/analyst-alerts|" "$here/analyst-alerts.desktop" >"$data/applications/analyst-alerts.desktop"
update-desktop-database "$data/applications" 2>/dev/null || true
xdg-mime default analyst-alerts.desktop x-scheme-handler/keboola-analyst
echo "installed $bin/analyst-alerts; keboola-analyst:// links now open it"

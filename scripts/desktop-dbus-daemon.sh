#!/bin/sh
# The private session bus of the desktop tests (dbus-run-session
# --dbus-daemon=this). dbus-daemon logs to stderr every service it starts
# for the app (the accessibility bus that WebKitGTK asks for, and the AT-SPI
# registry, which prints its own line) and, in a container without
# CAP_SYS_RESOURCE, "Failed to set fd limit": harmless, but they came out in
# the middle of make test's output. They go to ANALYST_DBUS_LOG (the test
# artifacts) instead; the services it starts inherit that too.
exec dbus-daemon "$@" >>"${ANALYST_DBUS_LOG:-/dev/null}" 2>&1

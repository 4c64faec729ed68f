# Windows desktop app (issue 16): the NSIS installer is built here with
# Debian's makensis; 7-Zip opens the built installer again so the test reads
# the script NSIS compiled into it (its registry lines), not our source.
# shellcheck shell=bash
apt_install nsis p7zip-full

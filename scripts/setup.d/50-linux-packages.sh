# Linux packages (issue 16): what installing them here needs. sudo and
# visudo (the server's sudoers entry), xdg-utils and desktop-file-utils (the
# app's URL handler). The packages themselves are built by nfpm (Go).
# shellcheck shell=bash
# xdotool: the install test presses the app's "Sign in as ..." with the keyboard.
# rpm: the install test installs the .rpms too (rpm -i --nodeps: Debian's rpmdb
# knows none of Fedora's package names, so their dependencies cannot resolve here).
apt_install sudo xdg-utils desktop-file-utils xdotool rpm

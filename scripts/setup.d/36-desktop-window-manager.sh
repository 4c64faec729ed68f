# Desktop end-to-end tests (issue 16): a real window manager on the Xvfb
# display (Openbox, started by scripts/desktop-session.sh) so hide-on-blur,
# placement and focus are tested as a person sees them; xdotool presses keys
# and activates another window; xlogo (x11-apps, from 30-desktop.sh) is that
# other window.
# shellcheck shell=bash
apt_install openbox xdotool

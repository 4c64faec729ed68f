# notify-runner and notify-scripts run the analysts' Python scripts; the
# examples and the tests need python3 (standard library only).
apt_install python3

# macOS part (issue 16): the linters of the GitHub workflows. shellcheck is
# Debian's; actionlint (which runs shellcheck on every `run:` script) is a Go module.
# shellcheck shell=bash
apt_install shellcheck
go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

// Package deploy holds the shipped service files (systemd units, nginx
// config). Its tests (build tag nginx) run them against the real binaries.
package deploy

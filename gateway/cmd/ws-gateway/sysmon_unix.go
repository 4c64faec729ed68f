//go:build unix

package main

import (
	"os"
	"syscall"
)

// keepSysmonAwake starts serve again with sysmonAwake in GODEBUG (see
// sysmon.go), replacing this process (the same PID, the same descriptors:
// nothing has been opened yet). It returns only when there is nothing to
// do or the exec failed; then the gateway runs as it is.
func keepSysmonAwake() {
	env := withSysmonAwake(os.Environ())
	if env == nil {
		return
	}
	// The binary's own path, not /proc/self/exe: the process is named
	// after the file it runs (ps, top, pkill ws-gateway). A binary
	// replaced or removed since it started fails the exec: run as is.
	exe, err := os.Executable()
	if err != nil {
		return
	}
	syscall.Exec(exe, os.Args, env)
}

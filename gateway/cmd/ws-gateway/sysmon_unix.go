//go:build unix

package main

import (
	"os"
	"runtime"
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
	exe := "/proc/self/exe" // this binary even if its file was replaced since
	if runtime.GOOS != "linux" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return
		}
	}
	syscall.Exec(exe, os.Args, env)
}

//go:build unix

package notifyscript

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the script as the leader of a new process group, and makes
// a timeout kill that whole group rather than the interpreter alone.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// killGroup kills whatever is left of the script's group after it ended
// (children it put in the background). ESRCH (nothing left) is the usual case.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

//go:build unix

package testusers

import (
	"os/exec"
	"syscall"
)

// RunAs makes cmd run as u (its uid and primary gid; the parent must be
// root).
func RunAs(cmd *exec.Cmd, u User) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.UID, Gid: u.GID}}
}

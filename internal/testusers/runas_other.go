//go:build !unix

package testusers

import "os/exec"

// RunAs: only Unix runs a child as another user by uid. The tests that call
// it check the server's Unix sockets and need root on Linux; this keeps
// them compiling elsewhere (GOOS=windows go vet), and fails loudly should
// one ever run there.
func RunAs(cmd *exec.Cmd, u User) {
	panic("testusers.RunAs: running a process as another user needs Unix")
}

//go:build unix

package handoff

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Hide re-executes the program without the sign-in links of scheme in its
// arguments, handing them over through an inherited pipe. It returns nil
// without doing anything when there is no link; it does not return when
// the exec succeeds. On an error the caller goes on with the link in its
// arguments (worse, but still working).
func Hide(args []string, scheme string) error {
	if len(args) < 2 {
		return nil
	}
	rest, links := split(args, scheme)
	if len(rest) == len(args) {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the program to re-execute: %w", err)
	}
	var p [2]int
	// syscall.Pipe, unlike os.Pipe, leaves close-on-exec off: the read end
	// must survive the exec.
	if err := syscall.Pipe(p[:]); err != nil {
		return fmt.Errorf("make the hand-over pipe: %w", err)
	}
	syscall.CloseOnExec(p[1])
	data := []byte(strings.Join(links, "\n") + "\n")
	if len(links) == 0 {
		data = nil
	}
	for len(data) > 0 { // fits in the pipe's buffer: never blocks
		n, err := syscall.Write(p[1], data)
		if err != nil {
			syscall.Close(p[0])
			syscall.Close(p[1])
			return fmt.Errorf("write the hand-over pipe: %w", err)
		}
		data = data[n:]
	}
	syscall.Close(p[1])
	env := append(os.Environ(), EnvFD+"="+strconv.Itoa(p[0]))
	err = syscall.Exec(exe, rest, env)
	syscall.Close(p[0])
	return fmt.Errorf("re-execute without the link in the arguments: %w", err)
}

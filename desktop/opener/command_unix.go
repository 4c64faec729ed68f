//go:build !darwin && !windows

package opener

import (
	"os/exec"
	"strings"
)

// command: `$TERMINAL -e claude "<prompt>"` (Debian's x-terminal-emulator by
// default). xterm, konsole, alacritty and Debian's terminal wrappers take
// the program and its arguments after -e.
func (l Launcher) command(claude, prompt, _ string) (*exec.Cmd, error) {
	term := l.Terminal
	if term == "" {
		term = "x-terminal-emulator"
	}
	p, err := lookPath(term)
	if err != nil {
		return nil, err
	}
	args := append([]string{"-e"}, strings.Fields(claude)...)
	return exec.Command(p, append(args, prompt)...), nil
}

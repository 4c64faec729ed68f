package opener

import (
	"os/exec"
	"strings"
)

// command: Windows Terminal, `wt.exe new-tab claude "<prompt>"`. wt treats
// ';' as a separator; safeArg admits none.
func (l Launcher) command(claude, prompt, _ string) (*exec.Cmd, error) {
	term := l.Terminal
	if term == "" {
		term = "wt.exe"
	}
	p, err := lookPath(term)
	if err != nil {
		return nil, err
	}
	args := append([]string{"new-tab"}, strings.Fields(claude)...)
	return exec.Command(p, append(args, prompt)...), nil
}

package opener

import (
	"os"
	"os/exec"
	"strings"

	"github.com/keboola/analyst-alerts/desktop/apperr"
)

// command: Terminal.app cannot take a command's arguments, so a .command
// file next to the prompt runs claude; `open -a Terminal` opens it. The
// script holds only the command and the prompt with the checked path, each
// single-quoted (safeArg admits no quote), never the alert's text.
func (l Launcher) command(claude, prompt, path string) (*exec.Cmd, error) {
	term := l.Terminal
	if term == "" {
		term = "Terminal"
	}
	script := strings.TrimSuffix(path, ".md") + ".command"
	var words []string
	for _, w := range strings.Fields(claude) {
		words = append(words, "'"+w+"'")
	}
	body := "#!/bin/sh\nexec " + strings.Join(words, " ") + " '" + prompt + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		return nil, apperr.New(apperr.Launch, "Cannot write the launcher script", err)
	}
	return exec.Command("/usr/bin/open", "-a", term, script), nil
}

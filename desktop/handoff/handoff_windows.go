package handoff

// Hide does nothing on Windows: a process cannot replace itself there, and
// a new process would leave the one the browser started (and waits for)
// behind. The link stays in the arguments of the process Windows started;
// see docs/security.md.
func Hide(args []string, scheme string) error { return nil }

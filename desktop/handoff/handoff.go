// Package handoff keeps a sign-in link (which holds the token) out of the
// app's command line. Linux and Windows start the app with the link as an
// argument, and any process of the machine can read a running process's
// arguments (ps, /proc/<pid>/cmdline). So on start, when the arguments hold
// a link, the app replaces itself (execve: same process id) with a copy of
// itself whose arguments do not, and passes the link through a pipe that
// the new image inherits: the token is never in the arguments of the
// process that keeps running. Restore then reads it back into memory.
package handoff

import (
	"io"
	"os"
	"strconv"
	"strings"
)

// EnvFD names the inherited pipe's file descriptor.
const EnvFD = "ANALYST_LINK_FD"

// maxLinks bounds what goes through the pipe: it must fit in the pipe's
// buffer (64 KiB on Linux), because nobody reads it until after the exec.
// A sign-in link is under 5 KiB (protocol.ParseSignInLink refuses more).
const maxLinks = 32 << 10

// split separates the links of scheme from the other arguments (args[0]
// excluded). A link longer than the bound is dropped: it would be refused.
func split(args []string, scheme string) (rest, links []string) {
	prefix := strings.ToLower(scheme) + ":"
	rest = append(rest, args[0])
	size := 0
	for _, a := range args[1:] {
		if !strings.HasPrefix(strings.ToLower(a), prefix) {
			rest = append(rest, a)
			continue
		}
		if size+len(a)+1 <= maxLinks && !strings.Contains(a, "\n") {
			links = append(links, a)
			size += len(a) + 1
		}
	}
	return rest, links
}

// Restore returns args with the links handed over through the pipe (if
// this process was started by Hide), read into memory only, and forgets
// the pipe.
func Restore(args []string) []string {
	v := os.Getenv(EnvFD)
	if v == "" {
		return args
	}
	os.Unsetenv(EnvFD) // not for the processes the app starts
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return args
	}
	f := os.NewFile(uintptr(fd), "sign-in link")
	if f == nil {
		return args
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLinks))
	if err != nil || len(b) == 0 {
		return args
	}
	out := append([]string(nil), args...)
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

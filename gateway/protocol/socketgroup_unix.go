//go:build unix

package protocol

import (
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// socketGroup is the name of the group owning the socket file, or "" when
// it cannot be read (its folder is closed to us too).
func socketGroup(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	gid := strconv.FormatUint(uint64(st.Gid), 10)
	if g, err := user.LookupGroupId(gid); err == nil {
		return g.Name
	}
	return "gid " + gid
}

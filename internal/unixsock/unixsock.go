// Package unixsock binds the unix sockets our services answer on (the
// gateway's dispatch socket, the Telegram bot's socket) the one way both
// need: the folder is created, a stale socket file left by a crash is
// replaced (never one a live server answers on, nor a file that is not a
// socket), and the socket is made 0770, optionally for another group. Who
// may do what once connected is decided per request (internal/peercred),
// not by the mode.
package unixsock

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Listen binds path for the server named what ("gateway", "notify-bot":
// it names the server in errors). gid is the group the socket is given (-1:
// the process's own).
func Listen(path, what string, gid int) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create the %s's socket folder: %w", what, err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; refusing to replace it", path)
		}
		if c, err := net.DialTimeout("unix", path, 500*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("another %s is already serving %s", what, path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove the %s's stale socket: %w", what, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on the %s's socket %s: %w", what, path, err)
	}
	// The group first, then the mode: until both are set the socket is the
	// process's (umask 0007 under systemd), never open to the new group
	// with a wider mode.
	if gid != -1 {
		if err := os.Chown(path, -1, gid); err != nil {
			ln.Close()
			return nil, &GroupError{GID: gid, Err: err}
		}
	}
	if err := os.Chmod(path, 0o770); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod the %s's socket: %w", what, err)
	}
	return ln, nil
}

// GroupError says the socket could not be given to the group: the
// process's user is not in it.
type GroupError struct {
	GID int
	Err error
}

func (e *GroupError) Error() string {
	return fmt.Sprintf("give the socket to group %d: %v; the service's user must be in that group", e.GID, e.Err)
}

func (e *GroupError) Unwrap() error { return e.Err }

package shell

import (
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
)

// OtherInstanceRunning says whether another copy of the app holds Wails'
// single-instance name on the session bus. On Linux, Wails calls OnStartup
// before its single-instance check, so a second launch (the browser handing
// over a sign-in link) would otherwise start the link, the tray and the
// sign-in itself for the moment before Wails forwards its arguments to the
// running app and exits. The name is Wails v2's (single_instance.go).
func OtherInstanceRunning(uniqueID string) bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	id := "wails_app_" + strings.ReplaceAll(strings.ReplaceAll(uniqueID, "-", "_"), ".", "_")
	var owner string
	if conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, "org."+id+".SingleInstance").Store(&owner) != nil {
		return false // no owner
	}
	// Wails takes the name from OnStartup's side in this very process too:
	// an owner that is this process is not another instance.
	var pid uint32
	if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, owner).Store(&pid) != nil {
		return false
	}
	return int(pid) != os.Getpid()
}

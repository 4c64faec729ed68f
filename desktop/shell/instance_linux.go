package shell

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
	"github.com/wailsapp/wails/v2/pkg/options"
)

// wailsInstanceName is the session-bus name (and object path) by which
// Wails v2 holds its single-instance lock on Linux (single_instance.go).
func wailsInstanceName(uniqueID string) (name string, path dbus.ObjectPath) {
	id := "wails_app_" + strings.ReplaceAll(strings.ReplaceAll(uniqueID, "-", "_"), ".", "_")
	return "org." + id + ".SingleInstance", dbus.ObjectPath("/org/" + id + "/SingleInstance")
}

// otherInstance is the process id of another copy of the app (not self)
// holding the single-instance name, or 0.
func otherInstance(conn *dbus.Conn, name string, self int) uint32 {
	var owner string
	if conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, name).Store(&owner) != nil {
		return 0 // no owner
	}
	var pid uint32
	if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, owner).Store(&pid) != nil {
		return 0
	}
	if int(pid) == self {
		return 0 // Wails takes the name from this very process too
	}
	return pid
}

// OtherInstanceRunning says whether another copy of the app holds Wails'
// single-instance name on the session bus. On Linux, Wails calls OnStartup
// before its single-instance check, so a second launch that got past
// HandOver (two launches at once) would otherwise start the link, the tray
// and the sign-in itself for the moment before Wails forwards its arguments
// to the running app and exits.
func OtherInstanceRunning(uniqueID string) bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	name, _ := wailsInstanceName(uniqueID)
	return otherInstance(conn, name, os.Getpid()) != 0
}

// HandOver gives args to the copy of the app already running, as Wails'
// single-instance lock would (the same message on the same name: the
// running app gets it in OnSecondInstanceLaunch), and returns its process
// id; 0 when none runs. It runs before Wails, because Wails' own hand-over
// on Linux ends the process with exit status 1 while GTK is up (a GLib
// warning on the way), which a browser or a script takes for a failure.
func HandOver(uniqueID string, args []string) (pid uint32, err error) {
	conn, err := dbus.SessionBus()
	if err != nil {
		return 0, nil // no session bus: no other instance to find; Wails decides
	}
	return handOver(conn, uniqueID, args, os.Getpid())
}

func handOver(conn *dbus.Conn, uniqueID string, args []string, self int) (pid uint32, err error) {
	name, path := wailsInstanceName(uniqueID)
	if pid = otherInstance(conn, name, self); pid == 0 {
		return 0, nil
	}
	data := options.SecondInstanceData{Args: args}
	data.WorkingDirectory, _ = os.Getwd()
	msg, err := json.Marshal(data)
	if err != nil {
		return 0, err
	}
	if err := conn.Object(name, path).Call(name+".SendMessage", 0, string(msg)).Store(); err != nil {
		return 0, fmt.Errorf("hand over to the running app (pid %d): %w", pid, err)
	}
	return pid, nil
}

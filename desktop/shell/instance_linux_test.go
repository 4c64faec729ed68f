package shell

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/wailsapp/wails/v2/pkg/options"

	"github.com/keboola/analyst-alerts/desktop/internal/dbusstandin"
)

// runningApp holds the single-instance name as Wails v2 does on Linux
// (single_instance.go: the object exported under the name, SendMessage with
// SecondInstanceData as JSON) and records what it is sent.
type runningApp chan options.SecondInstanceData

func (r runningApp) SendMessage(message string) *dbus.Error {
	var d options.SecondInstanceData
	if err := json.Unmarshal([]byte(message), &d); err != nil {
		return dbus.MakeFailedError(err)
	}
	r <- d
	return nil
}

func TestHandOverGivesTheArgumentsToTheRunningApp(t *testing.T) {
	connect := dbusstandin.Bus(t)
	second := connect()
	const id = "com.keboola.analyst"
	if pid, err := handOver(second, id, []string{"x"}, -1); pid != 0 || err != nil {
		t.Fatalf("no app running: pid %d, %v; want 0 (this launch is the app)", pid, err)
	}

	first := connect()
	name, path := wailsInstanceName(id)
	got := make(runningApp, 1)
	if err := first.Export(got, path, name); err != nil {
		t.Fatal(err)
	}
	if reply, err := first.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", name, reply, err)
	}
	link := "keboola-analyst://auth?token=a.b.c"
	pid, err := handOver(second, id, []string{link}, -1)
	if err != nil || pid != uint32(os.Getpid()) { // both connections are this test's
		t.Fatalf("handed over to pid %d (%v); want %d", pid, err, os.Getpid())
	}
	select {
	case d := <-got:
		if len(d.Args) != 1 || d.Args[0] != link {
			t.Errorf("the running app got %q; want the link", d.Args)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the running app got nothing")
	}
	// This very process owning the name is not another instance.
	if pid, err := handOver(second, id, nil, os.Getpid()); pid != 0 || err != nil {
		t.Errorf("own name: pid %d, %v; want 0", pid, err)
	}
}

//go:build unix

package notifyscript

// Process groups are Unix's (proc_unix.go); elsewhere a timed-out script
// is killed alone (proc_other.go).

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	h := Home(t.TempDir())
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	writeScript(t, h, "slow.py", `import subprocess, time
p = subprocess.Popen(["sleep", "300"])
open(`+strconv.Quote(pidFile)+`, "w").write(str(p.pid))
time.sleep(300)
`)
	start := time.Now()
	_, res, err := h.Run(context.Background(), "slow.py", RunOptions{Timeout: 5 * time.Second})
	if CodeOf(err) != CodeTimeout || !res.TimedOut {
		t.Fatalf("want a timeout, got %v %+v", err, res)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Fatalf("timeout took %v", el)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(b))
	// The child is killed with its group; it may linger a moment as a zombie
	// of init, so look at its state rather than its existence.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the timed-out script is still running", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

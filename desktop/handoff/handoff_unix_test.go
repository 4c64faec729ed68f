//go:build unix

package handoff

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary plays the app: started with HANDOFF_CHILD=1 it does what
// main does, then reports its pid, its real command line (from /proc) and
// the arguments it ended up with.
func TestMain(m *testing.M) {
	if os.Getenv("HANDOFF_CHILD") == "1" {
		if err := Hide(os.Args, "keboola-analyst"); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(3)
		}
		args := Restore(os.Args)
		cmdline, _ := os.ReadFile("/proc/self/cmdline")
		json.NewEncoder(os.Stdout).Encode(map[string]any{"pid": os.Getpid(), "cmdline": string(cmdline),
			"args": args, "env": os.Getenv(EnvFD)})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLinkLeavesTheCommandLineAndArrivesThroughThePipe(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc")
	}
	link := "keboola-analyst://auth?token=aaa.SECRET.ccc&state=0123456789abcdefXYZ"
	cmd := exec.Command(os.Args[0], "--flag", link, "other")
	cmd.Env = append(os.Environ(), "HANDOFF_CHILD=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v %s", err, errb.String())
	}
	var got struct {
		Pid     int
		Cmdline string
		Args    []string
		Env     string
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v %s", err, out.String())
	}
	if got.Pid != cmd.Process.Pid {
		t.Errorf("pid %d, started %d: the exec must keep the process", got.Pid, cmd.Process.Pid)
	}
	if strings.Contains(got.Cmdline, "SECRET") || strings.Contains(got.Cmdline, "keboola-analyst:") {
		t.Errorf("the command line still holds the link: %q", got.Cmdline)
	}
	if want := []string{"--flag", "other", link}; strings.Join(got.Args[1:], " ") != strings.Join(want, " ") {
		t.Errorf("args %q, want %q", got.Args[1:], want)
	}
	if got.Env != "" {
		t.Errorf("%s still set: %q", EnvFD, got.Env)
	}
}

func TestNoLinkNoExec(t *testing.T) {
	if err := Hide([]string{"app", "--x"}, "keboola-analyst"); err != nil {
		t.Fatal(err)
	}
	if got := Restore([]string{"app"}); len(got) != 1 {
		t.Fatal(got)
	}
}

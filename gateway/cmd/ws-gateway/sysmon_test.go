package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

func TestWithSysmonAwake(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string // nil: left as it is
	}{
		{"no GODEBUG", []string{"A=1"}, []string{"A=1", "GODEBUG=" + sysmonAwake}},
		{"other settings kept", []string{"GODEBUG=madvdontneed=1", "A=1"}, []string{"A=1", "GODEBUG=madvdontneed=1," + sysmonAwake}},
		{"empty GODEBUG", []string{"GODEBUG="}, []string{"GODEBUG=" + sysmonAwake}},
		{"schedtrace set by the operator", []string{"GODEBUG=gctrace=1,schedtrace=0"}, nil},
		{"schedtrace first", []string{"GODEBUG=schedtrace=1000"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := withSysmonAwake(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("withSysmonAwake(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// The running gateway (the real binary) has restarted itself with
// sysmonAwake in its GODEBUG, as the same process under the same name (ps,
// pkill), keeping the rest of its environment; an operator's own
// schedtrace is left alone.
func TestServeRunsWithSysmonAwake(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	godebug := func(p *proc) string {
		env, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/environ")
		if err != nil {
			t.Fatal(err)
		}
		for kv := range bytes.SplitSeq(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("GODEBUG=")); ok {
				return string(v)
			}
		}
		return ""
	}
	p := newProc(t)
	p.start(t, "GODEBUG=madvdontneed=1")
	if got, want := godebug(p), "madvdontneed=1,"+sysmonAwake; got != want {
		t.Errorf("the serving gateway's GODEBUG is %q, want %q", got, want)
	}
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	if name := filepath.Base(binary); string(bytes.TrimSpace(comm)) != name[:min(len(name), 15)] {
		t.Errorf("the serving gateway's process is named %q, want its binary's name %q", bytes.TrimSpace(comm), name)
	}
	p = newProc(t)
	p.start(t, "GODEBUG=schedtrace=0")
	if got := godebug(p); got != "schedtrace=0" {
		t.Errorf("with schedtrace=0 given, the serving gateway's GODEBUG is %q", got)
	}
}

package main

import "strings"

// The Go runtime's sysmon thread sleeps for good whenever every P is idle,
// and the next system call wakes it and sets it polling every 20 µs again.
// At a steady 2,000 dispatches a second the gateway is idle between any
// two, so each dispatch paid a futex wake-up of sysmon and one or two of
// its 20 µs sleeps: a third of the gateway's CPU per paced dispatch
// (BENCHMARKS.md, "Round four"). With schedtrace set, sysmon never takes
// that deep sleep: it backs off on its own, doubling its sleep up to 10 ms
// while it finds nothing to do, so an idle gateway's sysmon wakes at most
// 100 times a second (a few µs each) and a busy one's no more than before.
// The runtime reads GODEBUG only when the process starts, and only
// settings of its compatibility table can be compiled in (//go:debug), so
// serve starts itself again, in the same process (exec), with it set.
//
// The period is the largest GODEBUG takes (2^31-1 ms, 24.8 days): the
// trace line is printed once the machine's monotonic clock passes it and
// then every 24.8 days, one "SCHED" line on stderr. An explicit
// schedtrace in GODEBUG (schedtrace=0 turns it off) is left as it is.
const sysmonAwake = "schedtrace=2147483647"

// withSysmonAwake returns environ with sysmonAwake added to its GODEBUG,
// or nil when GODEBUG already says something about schedtrace.
func withSysmonAwake(environ []string) []string {
	out := make([]string, 0, len(environ)+1)
	godebug := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug = v
			continue
		}
		out = append(out, kv)
	}
	for _, setting := range strings.Split(godebug, ",") {
		if strings.HasPrefix(strings.TrimSpace(setting), "schedtrace=") {
			return nil
		}
	}
	if godebug != "" {
		godebug += ","
	}
	return append(out, "GODEBUG="+godebug+sysmonAwake)
}

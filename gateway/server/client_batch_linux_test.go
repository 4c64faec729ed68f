package server

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// writeCalls is how many write system calls (write, writev, sendmsg...)
// this process has made: /proc/self/io's syscw.
func writeCalls(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no syscw in /proc/self/io")
	return 0
}

// A resume's auth_ok and first replay page, 200 notifications of a few
// hundred bytes (60 KB), go out in a handful of write system calls, not
// one (or more) per frame: after a gateway restart thousands of apps
// resume at once, and the calls were most of the replay's cost.
func TestReplayPageIsWrittenInFewSystemCalls(t *testing.T) {
	sizes := []int{280, 310, 350, 260}
	const n = 200
	frames := sizedFrames(n, sizes)
	before := writeCalls(t)
	_, peer := writePairQueued(t, 1024, frames, 1<<20)
	if err := readSized(peer, n, sizes); err != nil {
		t.Fatal(err)
	}
	// The pair's own set-up writes a few (the dial, the 101 answer), and
	// the runtime some (waking its poller writes to an eventfd): a margin,
	// still far below the one call per frame (205 in all) of before.
	if calls := writeCalls(t) - before; calls > 40 {
		t.Fatalf("%d frames took %d write system calls, want a few (the set-up's and one or two)", n, calls)
	} else {
		t.Logf("%d frames, %d write calls in all (the set-up's included)", n, calls)
	}
}

package gcpolicy

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// The garbage collector's settings are the process's: each test runs the
// real runtime in a child process of its own (this test binary, started
// with GCPOLICY_CHILD naming what to do), with the environment the runtime
// reads at start, and reads back what it reports.
func TestMain(m *testing.M) {
	if what := os.Getenv("GCPOLICY_CHILD"); what != "" {
		json.NewEncoder(os.Stdout).Encode(children[what]())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// report is what a child saw.
type report struct {
	Applied    bool
	GCPercent  int64    // /gc/gogc:percent
	Limit      int64    // /gc/gomemlimit:bytes
	LimitLive  int64    // the limit after a cycle that found 64 MiB live
	LimitFreed int64    // the limit after the 64 MiB were dropped and collected
	Goals      []uint64 // heap goals after cycles that found 8, 32, 64, 16, 2 MiB live
	Cycles     uint32   // cycles while 1 GiB of garbage was allocated beside 16 MiB live
	Error      string
}

var children = map[string]func() report{
	"settings": func() report {
		r := report{Applied: Apply()}
		r.GCPercent, r.Limit = settings()
		return r
	},
	"follow": func() report {
		r := report{Applied: Apply()}
		live := make([][]byte, 64)
		for i := range live {
			live[i] = make([]byte, 1<<20)
		}
		if !collect() {
			r.Error = "the limit was not re-set after a cycle"
			return r
		}
		r.LimitLive = debug.SetMemoryLimit(-1)
		runtime.KeepAlive(live)
		live = nil
		if !collect() {
			r.Error = "the limit was not re-set after a cycle"
			return r
		}
		r.LimitFreed = debug.SetMemoryLimit(-1)
		r.GCPercent, r.Limit = settings()
		return r
	},
	"goals": func() report {
		r := report{Applied: Apply()}
		if r.Goals = goals(r.Applied); r.Goals == nil {
			r.Error = "the limit was not re-set after a cycle"
		}
		return r
	},
	"grow": func() report {
		r := report{Applied: Apply()}
		r.Cycles = grow()
		return r
	},
}

// settings reads the GC percent and the memory limit in force.
func settings() (gcPercent, limit int64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}

// collect runs a cycle and waits for the limit to be re-set after it (by
// the cleanup, on a goroutine of the runtime's soon after the cycle) and
// says whether it was, within 10 s. A cleanup that runs while the next
// cycle marks makes its object too late for that cycle: its limit comes
// after the one that follows, so collect runs cycles until one is seen.
func collect() bool {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		metrics.Read(s)
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(time.Millisecond) {
			if limitCycle.Load() >= s[0].Value.Uint64() {
				return true
			}
		}
	}
	return false
}

// goals sets a live heap of 8, 32, 64, 16 and 2 MiB in turn, collects,
// and reads the heap goal the runtime then works to (under the policy:
// once the limit was re-set after the cycle).
func goals(applied bool) []uint64 {
	var out []uint64
	var live [][]byte
	for _, mib := range []int{8, 32, 64, 16, 2} {
		live = nil // each step's live heap differs from the last: the limit changes
		for range mib {
			live = append(live, make([]byte, 1<<20))
		}
		if applied && !collect() {
			return nil
		} else if !applied {
			runtime.GC()
		}
		if applied {
			givenBack()
		}
		s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
		metrics.Read(s)
		out = append(out, s[0].Value.Uint64())
	}
	runtime.KeepAlive(live)
	return out
}

// givenBack waits (up to 1 s) until the process holds no more than the
// memory limit. Right after a cycle that freed more than the new goal, the
// freed heap is still held, and for as long as it is the runtime takes what
// is over the limit off the goal, down to the live heap (seen in a
// fresh-clone CI run: a 2.1 MiB goal where GOGC=100's is 4.4). The
// scavenger gives it back within 1-20 ms here; a limit set too low would
// still show as a goal too small once it has.
func givenBack() {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/gomemlimit:bytes"},
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
		metrics.Read(s)
		if s[0].Value.Uint64()-s[1].Value.Uint64() <= s[2].Value.Uint64() {
			return
		}
	}
}

var sink []byte // what grow allocates goes to the heap

// grow keeps 16 MiB live and allocates 1 GiB of garbage beside it, and
// says how many cycles ran meanwhile.
func grow() uint32 {
	live := make([][]byte, 16)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start := ms.NumGC
	for range 1 << 14 {
		sink = make([]byte, 64<<10)
	}
	runtime.KeepAlive(live)
	runtime.ReadMemStats(&ms)
	return ms.NumGC - start
}

func runChild(t *testing.T, what string, env ...string) report {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The child's environment without the variables under test, then env.
	for _, kv := range os.Environ() {
		if !bytes.HasPrefix([]byte(kv), []byte("GOGC=")) && !bytes.HasPrefix([]byte(kv), []byte("GOMEMLIMIT=")) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append(env, "GCPOLICY_CHILD="+what)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("child %s: %v\n%s", what, err, errb.String())
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("child %s: %v: %q", what, err, out.String())
	}
	if r.Error != "" {
		t.Fatalf("child %s: %s", what, r.Error)
	}
	return r
}

func TestGCPercentOffUnderALimit(t *testing.T) {
	r := runChild(t, "settings")
	if !r.Applied {
		t.Fatal("Apply did nothing with neither GOGC nor GOMEMLIMIT set")
	}
	if r.GCPercent != -1 {
		t.Fatalf("GC percent %d, want off (-1): while on, the runtime collects every 2 minutes", r.GCPercent)
	}
	// A fresh process has no live heap yet: the limit allows GOGC=100's
	// first goal (4 MiB) and the runtime's other memory, not more.
	if r.Limit < 4<<20 || r.Limit > 64<<20 {
		t.Fatalf("limit %d MiB at start, want GOGC=100's first goal (4 MiB) plus the runtime's other memory", r.Limit>>20)
	}
}

func TestLimitFollowsTheLiveHeap(t *testing.T) {
	r := runChild(t, "follow")
	if !r.Applied {
		t.Fatal("Apply did nothing")
	}
	// 64 MiB live: GOGC=100 lets the heap reach 128 MiB (plus what stacks
	// and globals add) before the next cycle.
	if r.LimitLive < 128<<20 || r.LimitLive > 160<<20 {
		t.Errorf("limit with 64 MiB live: %d MiB, want about 128 MiB and the runtime's other memory", r.LimitLive>>20)
	}
	if r.LimitFreed > 64<<20 {
		t.Errorf("limit after the 64 MiB were dropped: %d MiB, want it back near the 4 MiB floor", r.LimitFreed>>20)
	}
	if r.GCPercent != -1 {
		t.Errorf("GC percent %d, want it still off", r.GCPercent)
	}
}

func TestUsersEnvironmentWins(t *testing.T) {
	for _, env := range [][]string{{"GOGC=50"}, {"GOMEMLIMIT=1GiB"}, {"GOGC=off", "GOMEMLIMIT=300MiB"}} {
		r := runChild(t, "settings", env...)
		if r.Applied {
			t.Errorf("%v: Apply changed the settings", env)
		}
		want := map[string][2]int64{
			"GOGC=50":         {50, 1<<63 - 1},
			"GOMEMLIMIT=1GiB": {100, 1 << 30},
			"GOGC=off":        {-1, 300 << 20},
		}[env[0]]
		if r.GCPercent != want[0] || r.Limit != want[1] {
			t.Errorf("%v: GC percent %d, limit %d; want the environment's %d, %d", env, r.GCPercent, r.Limit, want[0], want[1])
		}
	}
}

// After each cycle the heap may grow as far as under the runtime's default
// (GOGC=100), not further and not much less, for a live heap growing and
// shrinking.
func TestHeapGoalIsGOGC100s(t *testing.T) {
	def := runChild(t, "goals", "GOGC=100")
	pol := runChild(t, "goals")
	if def.Applied || !pol.Applied {
		t.Fatalf("applied: with GOGC=100 %v, without %v", def.Applied, pol.Applied)
	}
	for i, mib := range []int{8, 32, 64, 16, 2} {
		d, p := float64(def.Goals[i])/(1<<20), float64(pol.Goals[i])/(1<<20)
		t.Logf("%d MiB live: heap goal %.1f MiB under GOGC=100, %.1f MiB under the policy", mib, d, p)
		// Right after the live heap fell (to 16 MiB from 64, to 2 from 16)
		// the goal came out up to 4 MiB larger in a quarter of the runs (15
		// and 4 of 60; never when it grew): with much just freed, the
		// runtime's own count of its memory besides the heap differs from
		// the metrics' for a while (see setLimit). The next cycle sets it
		// right.
		if p > d*1.05+4.5 || p < d*0.95-0.5 {
			t.Errorf("%d MiB live: heap goal %.1f MiB under the policy, %.1f MiB under GOGC=100", mib, p, d)
		}
	}
}

// Collections still come as the heap grows: 1 GiB of garbage beside 16 MiB
// live, about 64 cycles if each came at GOGC=100's goal of 32 MiB. (The
// count scatters: under GOGC=100 itself 9-62 were seen, as the loop outruns
// the concurrent collector by more or less.) A policy that let the heap grow
// unbounded would run none; one whose limit stayed where it started (4 MiB
// of heap) about 1,800.
func TestCollectsAsTheHeapGrows(t *testing.T) {
	r := runChild(t, "grow")
	t.Logf("%d cycles", r.Cycles)
	if r.Cycles < 5 || r.Cycles > 300 {
		t.Errorf("%d cycles under the policy, want 5-300", r.Cycles)
	}
}

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// TestDesktopFigures is the desktop part of `make bench`: it prints the
// app's figures next to a bare Wails app's, measured the same way in the
// same run. It asserts only that the measurements could be taken; the
// figures are for people to read (BENCHMARKS.md), not pass/fail timings.
func TestDesktopFigures(t *testing.T) {
	if os.Getenv("ANALYST_BENCH") != "1" {
		t.Skip("run by scripts/bench.d/30-desktop.sh")
	}
	baseline := os.Getenv("ANALYST_BENCH_BASELINE")
	idle := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("ANALYST_BENCH_IDLE")); err == nil {
		idle = v
	}
	h := setup(t)
	// Signed in before: the token is in the keychain (a sign-in link from a
	// second launch would now wait for the user's confirmation).
	if err := keychain.Set(h.gw.Token(t, "petr")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keychain.Delete() })

	launched := time.Now()
	app := h.start("bench-app")
	item, err := h.watcher.Next(60 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("desktop: launch to tray registered: %d ms\n", item.At.Sub(launched).Milliseconds())
	h.waitFor("connected", 30*time.Second, func() bool { return h.connections("petr") == 1 })
	h.waitLive("bench-app")

	c := h.gw.Client()
	defer c.Close()
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		sent := time.Now()
		if _, err := c.Dispatch(context.Background(), "petr", protocol.Notification{ID: fmt.Sprint("b", i), Title: "bench", Message: "m"}); err != nil {
			t.Fatal(err)
		}
		n, err := h.notes.Next(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		lat = append(lat, n.At.Sub(sent))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("desktop: dispatch to native notification (20 sequential): p50 %.1f ms, max %.1f ms\n",
		ms(lat[len(lat)/2]), ms(lat[len(lat)-1]))

	appIdle := measureIdle(t, app.Process.Pid, idle)
	h.stop(app)
	fmt.Printf("desktop: app idle %v (popover hidden, connected, heartbeat 30 s): %s\n", idle, appIdle)

	if baseline == "" {
		fmt.Println("desktop: no baseline app given (ANALYST_BENCH_BASELINE); comparison skipped")
		return
	}
	h.bin = baseline
	base := h.start("bench-baseline")
	time.Sleep(3 * time.Second) // its window and WebKit processes come up
	baseIdle := measureIdle(t, base.Process.Pid, idle)
	h.stop(base)
	fmt.Printf("desktop: bare Wails template app idle %v (window shown): %s\n", idle, baseIdle)
	fmt.Printf("desktop: app / bare Wails total PSS: %.2f (target <= 1.15)\n", float64(appIdle.pssKB)/float64(baseIdle.pssKB))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type idleFigures struct {
	procs      int
	pssKB      int64
	byName     map[string]int64 // PSS by process name
	rssByName  map[string]int64
	cpuSeconds float64
	switches   int64
	voluntary  int64            // of them, the thread's own: it slept (a wake-up each)
	byThread   map[string]int64 // context switches by process/thread name
	volThread  map[string]int64 // voluntary ones
	period     time.Duration
}

func (f idleFigures) String() string {
	var parts []string
	for n, kb := range f.byName {
		parts = append(parts, fmt.Sprintf("%s %d MB (RSS %d MB)", n, kb/1024, f.rssByName[n]/1024))
	}
	sort.Strings(parts)
	return fmt.Sprintf("total PSS %d MB (%s), CPU %.2f s (%.3f%%), %.2f context switches/s, %.2f/s voluntary (%s)",
		f.pssKB/1024, strings.Join(parts, ", "), f.cpuSeconds, 100*f.cpuSeconds/f.period.Seconds(),
		float64(f.switches)/f.period.Seconds(), float64(f.voluntary)/f.period.Seconds(), f.topThreads(6))
}

// topThreads names the threads that woke most, so a regression shows who
// polls (Go's threads are all "analyst-alerts"; WebKit names its own).
func (f idleFigures) topThreads(n int) string {
	type th struct {
		name string
		sw   int64
	}
	var ts []th
	for name, sw := range f.byThread {
		if sw > 0 {
			ts = append(ts, th{name, sw})
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].sw > ts[j].sw || ts[i].sw == ts[j].sw && ts[i].name < ts[j].name })
	var parts []string
	for i := 0; i < len(ts) && i < n; i++ {
		parts = append(parts, fmt.Sprintf("%s %.2f/s (%.2f voluntary)", ts[i].name, float64(ts[i].sw)/f.period.Seconds(),
			float64(f.volThread[ts[i].name])/f.period.Seconds()))
	}
	return strings.Join(parts, ", ")
}

// measureIdle settles for 10 s, then measures the process tree under root
// over period: PSS at the end, CPU time and context switches (wake-ups)
// during.
func measureIdle(t *testing.T, root int, period time.Duration) idleFigures {
	time.Sleep(10 * time.Second)
	pids := tree(root)
	cpu0, sw0 := cpuTicks(pids), switches(pids)
	time.Sleep(period)
	pids = tree(root)
	sw1 := switches(pids)
	f := idleFigures{procs: len(pids), byName: map[string]int64{}, rssByName: map[string]int64{}, byThread: map[string]int64{},
		volThread: map[string]int64{}, period: period}
	for _, p := range pids {
		kb := rollup(p, "Pss:")
		f.pssKB += kb
		f.byName[comm(p)] += kb
		f.rssByName[comm(p)] += rollup(p, "Rss:")
	}
	f.cpuSeconds = float64(cpuTicks(pids)-cpu0) / 100 // USER_HZ
	for tid, n := range sw1 {                         // threads that lived through the whole period
		if n0, ok := sw0[tid]; ok {
			all, vol := n[0]+n[1]-n0[0]-n0[1], n[0]-n0[0]
			f.switches += all
			f.voluntary += vol
			f.byThread[threadName(tid)] += all
			f.volThread[threadName(tid)] += vol
		}
	}
	if f.pssKB == 0 {
		t.Fatal("could not read PSS (needs /proc/PID/smaps_rollup)")
	}
	return f
}

// tree is root and all its descendants.
func tree(root int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// rollup reads one figure in kB (Pss:, Rss:) of a process's smaps_rollup.
func rollup(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb
		}
	}
	return 0
}

func cpuTicks(pids []int) int64 {
	var total int64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		u, _ := strconv.ParseInt(f[11], 10, 64) // utime (field 14)
		k, _ := strconv.ParseInt(f[12], 10, 64) // stime (field 15)
		total += u + k
	}
	return total
}

// threadName is "process/thread" for a task's status path.
func threadName(status string) string {
	task := filepath.Dir(status)
	proc := filepath.Dir(filepath.Dir(task))
	name := func(dir string) string {
		b, _ := os.ReadFile(filepath.Join(dir, "comm"))
		return strings.TrimSpace(string(b))
	}
	p, th := name(proc), name(task)
	if filepath.Base(task) == filepath.Base(proc) {
		th = "main" // the process's first thread: GTK's main loop in the app
	}
	return p + "/" + th
}

// switches counts each thread's voluntary and involuntary context switches.
// A voluntary one is a wake-up (the thread slept and was woken); an
// involuntary one is a preemption, which other load on the machine causes
// (a WebKit thread's 10 ms of work every 30 s was preempted dozens of times
// on the busy shared machine).
func switches(pids []int) map[string][2]int64 {
	total := map[string][2]int64{}
	for _, p := range pids {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", p))
		for _, st := range tasks {
			b, err := os.ReadFile(st)
			if err != nil {
				continue
			}
			var n [2]int64
			for _, line := range strings.Split(string(b), "\n") {
				key, val, _ := strings.Cut(line, ":")
				v, _ := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
				switch key {
				case "voluntary_ctxt_switches":
					n[0] = v
				case "nonvoluntary_ctxt_switches":
					n[1] = v
				}
			}
			total[st] = n
		}
	}
	return total
}

// Command ws-loadgen measures a real ws-gateway process: it starts the
// gateway binary, holds N authenticated WebSocket connections, and prints
// connects+auths per second, RSS per held connection (from /proc),
// dispatches per second over the unix socket with concurrent dispatchers,
// and dispatch-to-receive latency, checking that nothing is lost.
//
//	ws-loadgen --gateway ./ws-gateway --conns 15000 --dispatchers 32
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ws-loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	gateway     string
	conns       int
	connectors  int
	dispatchers int
	dispatches  int
	paced       int
	rate        int
	fsync       bool
	pause       time.Duration
	cpuprofile  string
	natsServer  string
	nodes       int
	centrifugo  string
	// resumeApps > 0 measures only a resume storm (resume.go).
	resumeApps, resumeFrames int
	// outliers > 0 prints the paced phase's slowest dispatches with
	// their wall-clock send time, to line them up with other logs.
	outliers int
}

const secret = "loadgen-secret-0123456789abcdef0123456789abcdef"

func run() error {
	var o options
	flag.StringVar(&o.gateway, "gateway", "ws-gateway", "path of the ws-gateway binary to measure")
	flag.IntVar(&o.conns, "conns", 15000, "authenticated connections to hold")
	flag.IntVar(&o.connectors, "connectors", 64, "concurrent connecting goroutines")
	flag.IntVar(&o.dispatchers, "dispatchers", 32, "concurrent dispatchers on the unix socket")
	flag.IntVar(&o.dispatches, "dispatches", 100000, "dispatches in the throughput phase")
	flag.IntVar(&o.paced, "paced", 10000, "dispatches in the paced latency phase")
	flag.IntVar(&o.rate, "rate", 2000, "dispatches per second in the paced latency phase")
	flag.BoolVar(&o.fsync, "fsync", false, "run the gateway with WS_GATEWAY_FSYNC=true (default: false, as the gateway)")
	flag.DurationVar(&o.pause, "pause", 0, "pause this long while holding the connections (to profile the gateway)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write the load generator's own CPU profile here")
	flag.StringVar(&o.natsServer, "nats-server", "", "path of a nats-server binary: measure cluster mode (three NATS servers, --nodes gateways)")
	flag.IntVar(&o.nodes, "nodes", 3, "gateway nodes in cluster mode")
	flag.StringVar(&o.centrifugo, "centrifugo", "", "path of a centrifugo (v6) binary: measure it after our gateway with the same load and print both side by side")
	flag.IntVar(&o.resumeApps, "resume-storm", 0, "measure only a resume storm: this many apps resume at once (resume.go)")
	flag.IntVar(&o.resumeFrames, "resume-frames", 200, "with --resume-storm: stored notifications each app resumes")
	flag.IntVar(&o.outliers, "outliers", 0, "print the paced phase's N slowest dispatches (send time, latency) to stderr")
	flag.Parse()
	// The generator's memory is not what is measured; collecting less
	// often spares the generator CPU during the connect burst.
	debug.SetGCPercent(400)
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	dir, err := os.MkdirTemp("", "loadgen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t, err := startTarget(o, dir)
	if err != nil {
		return err
	}
	if o.resumeApps > 0 {
		defer t.kill()
		fmt.Printf("resume storm (%s): %d connectors, %d cores\n", t.describe(), o.connectors, runtime.NumCPU())
		f, err := resumeStorm(o, t)
		if err != nil {
			return err
		}
		f.print()
		return nil
	}
	fmt.Printf("gateway benchmark (%s): %d connections, %d dispatchers, fsync=%v, %d cores\n",
		t.describe(), o.conns, o.dispatchers, o.fsync, runtime.NumCPU())
	ours, err := measure(o, t)
	t.kill()
	if err != nil {
		return err
	}
	var theirs *figures
	if o.centrifugo != "" {
		// The peer runs after ours, alone on the machine as ours was.
		ct, err := startCentrifugo(o.centrifugo, dir)
		if err != nil {
			return err
		}
		fmt.Printf("then %s, the same load\n", ct.describe())
		theirs, err = measure(o, ct)
		ct.kill()
		if err != nil {
			return fmt.Errorf("centrifugo: %w", err)
		}
	}
	// The floor is measured with the machine to itself.
	fl := measureFloor(o, dir)
	ours.print(o, t, fl)
	if theirs != nil {
		printSideBySide(o, ours, theirs, fl)
	}
	return nil
}

// figures are one measured system's results.
type figures struct {
	connectRate, dispatchRate       float64
	connCPU, lgConnCPU, natsConnCPU float64       // seconds over all connects
	dispCPU, lgDispCPU, natsDispCPU float64       // seconds over the throughput phase
	pacedCPU                        float64       // seconds over the paced phase, to the last receive
	pacedSend                       time.Duration // from the paced phase's first send to its last
	pacedGCs                        uint64        // the generator's own collections in the paced phase
	baseRSS, heldRSS, endRSS        int64         // KB
	baseNATS, heldNATS              int64         // KB
	heldStats                       map[string]float64
	satLat, pacedLat                []time.Duration
}

// perConnKB is the RSS the target grew by per held connection.
func (f *figures) perConnKB(o options) float64 {
	return float64(f.heldRSS-f.baseRSS) / float64(o.conns)
}

// µs per operation of a CPU total in seconds.
func perOp(sec float64, n int) float64 { return sec / float64(n) * 1e6 }

// measure runs the three phases against t (connect and hold, throughput,
// paced) and checks that every notification arrived once.
func measure(o options, t *target) (*figures, error) {
	f := &figures{baseRSS: t.gatewaysRSS(), baseNATS: t.natsRSS()}
	lg := os.Getpid()
	cf := t.gws[0].centrifugo

	// Phase 1: connect and authenticate, connection i to gateway i mod
	// the nodes. Everything a connect sends is prepared before the clock
	// starts, as an app has its token before it connects.
	frames := make([][]byte, o.conns)
	for i := range frames {
		token, _, _ := protocol.IssueToken([]byte(secret), "", user(i), time.Now())
		var auth []byte
		if cf {
			auth, _ = centrifugoConnectFrame(token)
		} else {
			auth, _ = json.Marshal(protocol.AuthFrame{Type: protocol.TypeAuth, Token: token})
		}
		var err error
		if frames[i], err = textFrame(auth); err != nil {
			return nil, err
		}
	}
	conns := make([]*conn, o.conns)
	gwCPU0, lgCPU0, natsConnCPU0 := t.cpu(), cpuSeconds(lg), t.natsCPU()
	var failed atomic.Int64
	connectDur, _ := each(o.conns, o.connectors, func(i int) error {
		g := t.gws[i%len(t.gws)]
		c, err := connect(g, frames[i], i)
		if err != nil {
			if failed.Add(1) == 1 {
				fmt.Fprintln(os.Stderr, "connect:", err)
			}
			return nil // counted; the others still connect
		}
		conns[i] = c
		return nil
	})
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.ws.c.Close()
			}
		}
	}()
	if failed.Load() > 0 {
		return nil, fmt.Errorf("%d connections failed", failed.Load())
	}
	f.connectRate = float64(o.conns) / connectDur.Seconds()
	f.connCPU, f.lgConnCPU = t.cpu()-gwCPU0, cpuSeconds(lg)-lgCPU0
	f.natsConnCPU = t.natsCPU() - natsConnCPU0
	for _, c := range conns {
		go c.readLoop()
	}
	var pub *publisher
	if cf {
		pub = newPublisher(t.gws[0].addr, o.dispatchers)
	}
	held := 0
	for _, g := range t.gws {
		var h int
		if cf {
			// Centrifugo's info refreshes its node's counts every few
			// seconds: wait for the count, not for a fixed time.
			deadline := time.Now().Add(20 * time.Second)
			for {
				n, err := pub.numClients()
				if err != nil {
					return nil, fmt.Errorf("info: %v", err)
				}
				if h = n; h == o.conns || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		} else {
			hr, err := g.client.Health(context.Background())
			if err != nil {
				return nil, fmt.Errorf("health: %v", err)
			}
			h = hr.Connections
		}
		held += h
	}
	if held != o.conns {
		return nil, fmt.Errorf("the gateways hold %d connections, want %d", held, o.conns)
	}
	time.Sleep(3 * time.Second) // let the connect burst's garbage be collected
	f.heldRSS = t.gatewaysRSS()
	f.heldStats = map[string]float64{}
	for _, g := range t.gws {
		if g.centrifugo {
			continue
		}
		for k, v := range gatewayMemStats(g.socket) {
			f.heldStats[k] += v
		}
	}
	if o.pause > 0 {
		fmt.Fprintf(os.Stderr, "holding %d connections for %v; dispatch socket %s\n", o.conns, o.pause, t.gws[0].socket)
		time.Sleep(o.pause)
	}

	// Phase 2: throughput with concurrent dispatchers, each on its own
	// keep-alive connection.
	// Dispatch i goes to node i mod the nodes, whichever holds the user.
	var dispatchTo func(i, u int, tag string) error
	if cf {
		dispatchTo = func(_, u int, tag string) error { return pub.publishTo(u, tag) }
	} else {
		var ds []*dispatcher
		for _, g := range t.gws {
			ds = append(ds, newDispatcher(g.socket, o.dispatchers))
		}
		dispatchTo = func(i, u int, tag string) error { return ds[i%len(ds)].dispatchTo(u, tag) }
	}
	gwCPU0, lgCPU0 = t.cpu(), cpuSeconds(lg)
	natsCPU0 := t.natsCPU()
	dispatchDur, err := each(o.dispatches, o.dispatchers, func(i int) error { return dispatchTo(i+1, i%o.conns, "t") })
	if err != nil {
		return nil, fmt.Errorf("dispatch: %v", err)
	}
	f.dispatchRate = float64(o.dispatches) / dispatchDur.Seconds()
	f.dispCPU, f.lgDispCPU = t.cpu()-gwCPU0, cpuSeconds(lg)-lgCPU0
	f.natsDispCPU = t.natsCPU() - natsCPU0
	if f.satLat = waitReceived(conns, int64(o.dispatches), 30*time.Second); f.satLat == nil {
		return nil, fmt.Errorf("lost notifications: received %d of %d", received(conns), o.dispatches)
	}

	// Phase 3: latency at a steady rate.
	for _, c := range conns {
		c.reset()
	}
	var pwg sync.WaitGroup
	var dispatchErr atomic.Value
	sem := make(chan struct{}, o.dispatchers)
	var pacedStart time.Time
	f.pacedGCs = withoutGC(func() {
		gwCPU0 = t.cpu()
		pacedStart = time.Now()
		if o.outliers > 0 {
			fmt.Fprintf(os.Stderr, "paced phase starts: %s pid %d\n", t.describe(), t.gws[0].pid)
		}
		f.pacedSend = pace(o.paced, o.rate, func(i int) {
			sem <- struct{}{}
			pwg.Add(1)
			go func() {
				defer pwg.Done()
				defer func() { <-sem }()
				if err := dispatchTo(i, rand.IntN(o.conns), "p"); err != nil {
					dispatchErr.Store(err)
				}
			}()
		})
		pwg.Wait()
		f.pacedLat = waitReceived(conns, int64(o.paced), 30*time.Second)
		f.pacedCPU = t.cpu() - gwCPU0
	})
	if e := dispatchErr.Load(); e != nil {
		return nil, fmt.Errorf("paced dispatch: %v", e)
	}
	if f.pacedLat == nil {
		return nil, fmt.Errorf("lost notifications in the paced phase: received %d of %d", received(conns), o.paced)
	}
	if o.outliers > 0 {
		fmt.Fprintf(os.Stderr, "paced phase of %s: %.6f to %.6f\n", t.describe(), float64(pacedStart.UnixNano())/1e9, float64(time.Now().UnixNano())/1e9)
		for _, w := range worst(conns, o.outliers) {
			fmt.Fprintf(os.Stderr, "outlier sent %.6f (+%.3f s) latency %.3f ms\n", float64(w.sent)/1e9, float64(w.sent-pacedStart.UnixNano())/1e9, msf(w.lat))
		}
	}
	f.endRSS = t.gatewaysRSS()
	f.heldNATS = t.natsRSS()
	// Nothing more than was sent: a duplicate would count too.
	if n := received(conns); n != int64(o.paced) {
		return nil, fmt.Errorf("received %d notifications in the paced phase, sent %d", n, o.paced)
	}
	return f, nil
}

func user(i int) string { return "user" + strconv.Itoa(i) }

// cpuSeconds is the user+system CPU time a process has used (/proc/PID/stat).
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at ')'.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

// gatewayMemStats reads the gateway's Go memory figures from /metrics.
func gatewayMemStats(socket string) map[string]float64 {
	out := map[string]float64{}
	hc := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}}
	resp, err := hc.Get("http://gateway" + protocol.PathMetrics)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 2 && strings.HasPrefix(f[0], "go_memstats_") {
			out[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return out
}

func rssKB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

func waitUp(c *protocol.Client) error {
	// A cluster node waits for JetStream to elect its leaders first.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.Health(context.Background()); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gateway did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

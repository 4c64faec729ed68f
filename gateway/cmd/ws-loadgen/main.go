// Command ws-loadgen measures a real ws-gateway process: it starts the
// gateway binary, holds N authenticated WebSocket connections, and prints
// connects+auths per second, RSS per held connection (from /proc),
// dispatches per second over the unix socket with concurrent dispatchers,
// and dispatch-to-receive latency, checking that nothing is lost.
//
//	ws-loadgen --gateway ./ws-gateway --conns 15000 --dispatchers 32
package main

import (
	"bytes"
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
	"sort"
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
	connCPU, lgConnCPU              float64 // seconds over all connects
	dispCPU, lgDispCPU, natsDispCPU float64 // seconds over the throughput phase
	pacedCPU                        float64 // seconds over the paced phase, to the last receive
	baseRSS, heldRSS, endRSS        int64   // KB
	baseNATS, heldNATS              int64   // KB
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
	gwCPU0, lgCPU0 := t.cpu(), cpuSeconds(lg)
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
	interval := time.Second / time.Duration(o.rate)
	var pwg sync.WaitGroup
	var dispatchErr atomic.Value
	sem := make(chan struct{}, o.dispatchers)
	gwCPU0 = t.cpu()
	tick := time.NewTicker(interval)
	for i := 0; i < o.paced; i++ {
		<-tick.C
		sem <- struct{}{}
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			defer func() { <-sem }()
			if err := dispatchTo(i, rand.IntN(o.conns), "p"); err != nil {
				dispatchErr.Store(err)
			}
		}()
	}
	tick.Stop()
	pwg.Wait()
	if e := dispatchErr.Load(); e != nil {
		return nil, fmt.Errorf("paced dispatch: %v", e)
	}
	if f.pacedLat = waitReceived(conns, int64(o.paced), 30*time.Second); f.pacedLat == nil {
		return nil, fmt.Errorf("lost notifications in the paced phase: received %d of %d", received(conns), o.paced)
	}
	f.pacedCPU = t.cpu() - gwCPU0
	f.endRSS = t.gatewaysRSS()
	f.heldNATS = t.natsRSS()
	// Nothing more than was sent: a duplicate would count too.
	if n := received(conns); n != int64(o.paced) {
		return nil, fmt.Errorf("received %d notifications in the paced phase, sent %d", n, o.paced)
	}
	return f, nil
}

func (f *figures) print(o options, t *target, fl floor) {
	fmt.Printf("\n| measure | result | target |\n|---|---|---|\n")
	fmt.Printf("| connects+auths per second (%d conns, %d connectors) | %.0f /s | >= 10,000 /s |\n", o.conns, o.connectors, f.connectRate)
	fmt.Printf("| gateway RSS: idle / holding %d / after dispatch phases | %.1f / %.1f / %.1f MB | |\n", o.conns,
		float64(f.baseRSS)/1024, float64(f.heldRSS)/1024, float64(f.endRSS)/1024)
	fmt.Printf("| RSS per held connection | %.2f KB | <= 8 KB |\n", f.perConnKB(o))
	fmt.Printf("| of which Go heap in use / goroutine stacks per connection | %.2f KB / %.2f KB | |\n",
		f.heldStats["go_memstats_heap_inuse_bytes"]/float64(o.conns)/1024, f.heldStats["go_memstats_stack_inuse_bytes"]/float64(o.conns)/1024)
	fmt.Printf("| dispatches per second (%d dispatchers, unix socket) | %.0f /s | >= 20,000 /s |\n", o.dispatchers, f.dispatchRate)
	fmt.Printf("| CPU per connect+auth: gateway / load generator | %.0f µs / %.0f µs | |\n",
		perOp(f.connCPU, o.conns), perOp(f.lgConnCPU, o.conns))
	fmt.Printf("| CPU per dispatch (incl. delivery): gateway / load generator | %.0f µs / %.0f µs | |\n",
		perOp(f.dispCPU, o.dispatches), perOp(f.lgDispCPU, o.dispatches))
	fmt.Printf("| gateway CPU per dispatch at %d/s | %.0f µs | |\n", o.rate, perOp(f.pacedCPU, o.paced))
	if len(t.nats) > 0 {
		fmt.Printf("| of the gateway side's CPU per dispatch: gateway nodes / NATS servers | %.0f µs / %.0f µs | |\n",
			perOp(f.dispCPU-f.natsDispCPU, o.dispatches), perOp(f.natsDispCPU, o.dispatches))
		fmt.Printf("| NATS servers' RSS: before / after (all three) | %.1f / %.1f MB | |\n", float64(f.baseNATS)/1024, float64(f.heldNATS)/1024)
	}
	// The generator shares the machine's cores; what the gateway alone
	// could sustain is the cores divided by its own CPU per operation.
	// Computed, not measured: it assumes perfect use of every core.
	cores := float64(runtime.NumCPU())
	fmt.Printf("| computed: the gateway's rate if it had all %d cores (cores / its CPU per op), connects / dispatches | %.0f /s / %.0f /s | |\n",
		runtime.NumCPU(), cores*float64(o.conns)/f.connCPU, cores*float64(o.dispatches)/f.dispCPU)
	fmt.Printf("| dispatch-to-receive under saturation p50 / p99 (p99.9, max) | %s / %s (%s, %s) | |\n", ms(f.satLat[0]), ms(f.satLat[1]), ms(f.satLat[2]), ms(f.satLat[3]))
	fmt.Printf("| dispatch-to-receive at %d/s p50 / p99 (p99.9, max) | %s / %s (%s, %s) | p99 <= 3 ms |\n", o.rate, ms(f.pacedLat[0]), ms(f.pacedLat[1]), ms(f.pacedLat[2]), ms(f.pacedLat[3]))
	fmt.Printf("| machine floor: bare TCP connect + 1 round trip, held (no gateway) | %.0f /s, %.0f µs CPU each (both sides) | |\n", fl.tcpRate, fl.tcpCPU)
	fmt.Printf("| machine floor: trivial net/http server over a unix socket, %d clients, the dispatch phase's client (no gateway) | %.0f /s, %.0f µs CPU each (both sides) | |\n", o.dispatchers, fl.httpRate, fl.httpCPU)
	fmt.Printf("| notifications lost | 0 of %d | 0 |\n", o.dispatches+o.paced)
}

// printSideBySide prints issue 17's figures as ours / Centrifugo's from
// this run, their ratio, and the machine floor where one applies.
func printSideBySide(o options, ours, theirs *figures, fl floor) {
	fmt.Printf("\n| figure (this run) | ours / Centrifugo | ours ÷ Centrifugo | machine floor |\n|---|---|---|---|\n")
	row := func(name string, a, b float64, unit, fmtv, floorText string) {
		fmt.Printf("| %s | "+fmtv+" / "+fmtv+" %s | %.2f | %s |\n", name, a, b, unit, a/b, floorText)
	}
	row("RSS per held connection", ours.perConnKB(o), theirs.perConnKB(o), "KB", "%.2f", "0 (the kernel's socket memory is not in RSS)")
	row("CPU per connect+auth (server)", perOp(ours.connCPU, o.conns), perOp(theirs.connCPU, o.conns), "µs", "%.0f",
		fmt.Sprintf("%.0f µs: bare TCP connect + 1 round trip, both sides", fl.tcpCPU))
	row("CPU per dispatch, full speed (server)", perOp(ours.dispCPU, o.dispatches), perOp(theirs.dispCPU, o.dispatches), "µs", "%.0f",
		fmt.Sprintf("%.0f µs: a trivial HTTP request, both sides", fl.httpCPU))
	row(fmt.Sprintf("CPU per dispatch at %d/s (server)", o.rate), perOp(ours.pacedCPU, o.paced), perOp(theirs.pacedCPU, o.paced), "µs", "%.0f",
		fmt.Sprintf("%.0f µs: a trivial HTTP request, both sides", fl.httpCPU))
	row(fmt.Sprintf("p99 at %d/s", o.rate), msf(ours.pacedLat[1]), msf(theirs.pacedLat[1]), "ms", "%.2f", "")
	row(fmt.Sprintf("max at %d/s", o.rate), msf(ours.pacedLat[3]), msf(theirs.pacedLat[3]), "ms", "%.2f", "")
	row("connects+auths per second", ours.connectRate, theirs.connectRate, "/s", "%.0f", fmt.Sprintf("%.0f /s bare TCP connects", fl.tcpRate))
	row("dispatches per second", ours.dispatchRate, theirs.dispatchRate, "/s", "%.0f", fmt.Sprintf("%.0f /s trivial HTTP requests", fl.httpRate))
	fmt.Printf("(generator's CPU per connect / per dispatch: %.0f / %.0f µs against ours, %.0f / %.0f µs against Centrifugo; Centrifugo's publishes go over loopback TCP, ours over a unix socket)\n",
		perOp(ours.lgConnCPU, o.conns), perOp(ours.lgDispCPU, o.dispatches), perOp(theirs.lgConnCPU, o.conns), perOp(theirs.lgDispCPU, o.dispatches))
}

func msf(d time.Duration) float64 { return float64(d) / 1e6 }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func user(i int) string { return "user" + strconv.Itoa(i) }

// conn is one held connection; it answers pings and records latencies.
type conn struct {
	ws   *rawConn
	mu   sync.Mutex
	lats []time.Duration
	n    atomic.Int64
	// centrifugo: the peer's client protocol (JSON, one reply or push per
	// line, several lines to a frame; a ping is "{}" and answered so).
	centrifugo bool
}

// connect opens connection i to g and checks that g answered auth_ok
// (Centrifugo: the connect reply with the user's personal channel).
func connect(g *gateway, authFrame []byte, i int) (*conn, error) {
	rc, answer, err := rawDial(g.addr, g.upgrade, authFrame)
	if err != nil {
		return nil, err
	}
	ok := false
	if g.centrifugo {
		ok = isCentrifugoConnected(answer, i)
	} else {
		ok = isAuthOK(answer, user(i))
	}
	if !ok {
		rc.c.Close()
		return nil, fmt.Errorf("auth: %s", answer)
	}
	return &conn{ws: rc, centrifugo: g.centrifugo}, nil
}

// isAuthOK reports whether frame is auth_ok for name. The gateway's
// exact encoding is compared as bytes first; anything else (another field
// order, an added field) is decoded.
func isAuthOK(frame []byte, name string) bool {
	const prefix, mid, suffix = `{"type":"`, `","username":"`, `"}`
	if len(frame) == len(prefix)+len(protocol.TypeAuthOK)+len(mid)+len(name)+len(suffix) {
		rest, ok := bytes.CutPrefix(frame, []byte(prefix+protocol.TypeAuthOK+mid))
		if ok && string(rest[:len(name)]) == name && string(rest[len(name):]) == suffix {
			return true
		}
	}
	var m protocol.AuthOK
	return json.Unmarshal(frame, &m) == nil && m.Type == protocol.TypeAuthOK && m.Username == name
}

func (c *conn) readLoop() {
	for {
		data, err := c.ws.readText()
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		if c.centrifugo {
			c.centrifugoFrame(data, now)
			continue
		}
		// Byte checks, not a JSON decode: the generator must cost less
		// than the gateway it measures. The gateway writes "type" first.
		switch {
		case bytes.HasPrefix(data, pingPrefix):
			c.ws.writeText([]byte(`{"type":"pong"}`))
		case bytes.HasPrefix(data, notificationPrefix):
			c.record(now, sentAt(data))
		}
	}
}

// centrifugoFrame handles one frame of Centrifugo's JSON protocol.
func (c *conn) centrifugoFrame(data []byte, now int64) {
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		switch {
		case len(line) == 2 && string(line) == "{}":
			c.ws.writeText(line)
		case bytes.HasPrefix(line, centrifugoPushPrefix) && bytes.Contains(line, centrifugoPubKey):
			c.record(now, sentAt(line))
		}
	}
}

func (c *conn) record(now, sent int64) {
	c.mu.Lock()
	c.lats = append(c.lats, time.Duration(now-sent))
	c.mu.Unlock()
	c.n.Add(1)
}

var (
	pingPrefix         = []byte(`{"type":"` + protocol.TypePing + `"`)
	notificationPrefix = []byte(`{"type":"` + protocol.TypeNotification + `"`)
	messageKey         = []byte(`"message":"`)

	centrifugoPushPrefix = []byte(`{"push":{"channel":"`)
	centrifugoPubKey     = []byte(`"pub":{`)
)

// sentAt reads the send time (unix ns) that dispatchTo put in the message.
func sentAt(frame []byte) int64 {
	i := bytes.Index(frame, messageKey)
	if i < 0 {
		return 0
	}
	var ts int64
	for _, b := range frame[i+len(messageKey):] {
		if b < '0' || b > '9' {
			break
		}
		ts = ts*10 + int64(b-'0')
	}
	return ts
}

func (c *conn) reset() {
	c.mu.Lock()
	c.lats = c.lats[:0]
	c.mu.Unlock()
	c.n.Store(0)
}

func received(conns []*conn) int64 {
	var n int64
	for _, c := range conns {
		n += c.n.Load()
	}
	return n
}

// waitReceived waits until want notifications arrived and returns the
// latency's p50, p99, p99.9 and maximum, or nil when they did not all arrive.
func waitReceived(conns []*conn, want int64, timeout time.Duration) []time.Duration {
	deadline := time.Now().Add(timeout)
	for received(conns) < want {
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	var all []time.Duration
	for _, c := range conns {
		c.mu.Lock()
		all = append(all, c.lats...)
		c.mu.Unlock()
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return []time.Duration{all[len(all)/2], all[len(all)*99/100], all[len(all)*999/1000], all[len(all)-1]}
}

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

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
	defer t.kill()
	baseRSS := t.gatewaysRSS()
	baseNATS := t.natsRSS()
	lg := os.Getpid()

	fmt.Printf("gateway benchmark (%s): %d connections, %d dispatchers, fsync=%v, %d cores\n",
		t.describe(), o.conns, o.dispatchers, o.fsync, runtime.NumCPU())

	// Phase 1: connect and authenticate, connection i to gateway i mod
	// the nodes. Everything a connect sends is prepared before the clock
	// starts, as an app has its token before it connects.
	frames := make([][]byte, o.conns)
	for i := range frames {
		token, _, _ := protocol.IssueToken([]byte(secret), "", user(i), time.Now())
		auth, _ := json.Marshal(protocol.AuthFrame{Type: protocol.TypeAuth, Token: token})
		if frames[i], err = textFrame(auth); err != nil {
			return err
		}
	}
	conns := make([]*conn, o.conns)
	gwCPU0, lgCPU0 := t.cpu(), cpuSeconds(lg)
	var failed atomic.Int64
	connectDur, _ := each(o.conns, o.connectors, func(i int) error {
		g := t.gws[i%len(t.gws)]
		c, err := connect(g.addr, g.upgrade, frames[i], user(i))
		if err != nil {
			if failed.Add(1) == 1 {
				fmt.Fprintln(os.Stderr, "connect:", err)
			}
			return nil // counted; the others still connect
		}
		conns[i] = c
		return nil
	})
	if failed.Load() > 0 {
		return fmt.Errorf("%d connections failed", failed.Load())
	}
	connectRate := float64(o.conns) / connectDur.Seconds()
	gwConnCPU, lgConnCPU := t.cpu()-gwCPU0, cpuSeconds(lg)-lgCPU0
	for _, c := range conns {
		go c.readLoop()
	}
	held := 0
	for _, g := range t.gws {
		h, err := g.client.Health(context.Background())
		if err != nil {
			return fmt.Errorf("health: %v", err)
		}
		held += h.Connections
	}
	if held != o.conns {
		return fmt.Errorf("the gateways hold %d connections, want %d", held, o.conns)
	}
	time.Sleep(3 * time.Second) // let the connect burst's garbage be collected
	heldRSS := t.gatewaysRSS()
	heldStats := map[string]float64{}
	for _, g := range t.gws {
		for k, v := range gatewayMemStats(g.socket) {
			heldStats[k] += v
		}
	}
	perConn := float64(heldRSS-baseRSS) * 1024 / float64(o.conns)
	if o.pause > 0 {
		fmt.Fprintf(os.Stderr, "holding %d connections for %v; dispatch socket %s\n", o.conns, o.pause, t.gws[0].socket)
		time.Sleep(o.pause)
	}

	// Phase 2: throughput with concurrent dispatchers, each on its own
	// keep-alive connection.
	// Dispatch i goes to node i mod the nodes, whichever holds the user.
	var ds []*dispatcher
	for _, g := range t.gws {
		ds = append(ds, newDispatcher(g.socket, o.dispatchers))
	}
	dispatchTo := func(i, u int, tag string) error { return ds[i%len(ds)].dispatchTo(u, tag) }
	gwCPU0, lgCPU0 = t.cpu(), cpuSeconds(lg)
	natsCPU0 := t.natsCPU()
	dispatchDur, err := each(o.dispatches, o.dispatchers, func(i int) error { return dispatchTo(i+1, i%o.conns, "t") })
	if err != nil {
		return fmt.Errorf("dispatch: %v", err)
	}
	dispatchRate := float64(o.dispatches) / dispatchDur.Seconds()
	gwDispCPU, lgDispCPU := t.cpu()-gwCPU0, cpuSeconds(lg)-lgCPU0
	natsDispCPU := t.natsCPU() - natsCPU0
	satLat := waitReceived(conns, int64(o.dispatches), 30*time.Second)
	if satLat == nil {
		return fmt.Errorf("lost notifications: received %d of %d", received(conns), o.dispatches)
	}

	// Phase 3: latency at a steady rate.
	for _, c := range conns {
		c.reset()
	}
	interval := time.Second / time.Duration(o.rate)
	tick := time.NewTicker(interval)
	var pwg sync.WaitGroup
	var dispatchErr atomic.Value
	sem := make(chan struct{}, o.dispatchers)
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
		return fmt.Errorf("paced dispatch: %v", e)
	}
	pacedLat := waitReceived(conns, int64(o.paced), 30*time.Second)
	if pacedLat == nil {
		return fmt.Errorf("lost notifications in the paced phase: received %d of %d", received(conns), o.paced)
	}
	endRSS := t.gatewaysRSS()
	heldNATS := t.natsRSS()
	t.kill() // the floor is measured with the machine to itself
	for _, c := range conns {
		c.ws.c.Close()
	}
	tcpFloor := floorTCP(min(o.conns, 8000), o.connectors)
	httpFloor := floorHTTP(dir, 50000, o.dispatchers)

	fmt.Printf("\n| measure | result | target |\n|---|---|---|\n")
	fmt.Printf("| connects+auths per second (%d conns, %d connectors) | %.0f /s | >= 10,000 /s |\n", o.conns, o.connectors, connectRate)
	fmt.Printf("| gateway RSS: idle / holding %d / after dispatch phases | %.1f / %.1f / %.1f MB | |\n", o.conns,
		float64(baseRSS)/1024, float64(heldRSS)/1024, float64(endRSS)/1024)
	fmt.Printf("| RSS per held connection | %.2f KB | <= 8 KB |\n", perConn/1024)
	fmt.Printf("| of which Go heap in use / goroutine stacks per connection | %.2f KB / %.2f KB | |\n",
		heldStats["go_memstats_heap_inuse_bytes"]/float64(o.conns)/1024, heldStats["go_memstats_stack_inuse_bytes"]/float64(o.conns)/1024)
	fmt.Printf("| dispatches per second (%d dispatchers, unix socket) | %.0f /s | >= 20,000 /s |\n", o.dispatchers, dispatchRate)
	fmt.Printf("| CPU per connect+auth: gateway / load generator | %.0f µs / %.0f µs | |\n",
		gwConnCPU/float64(o.conns)*1e6, lgConnCPU/float64(o.conns)*1e6)
	fmt.Printf("| CPU per dispatch (incl. delivery): gateway / load generator | %.0f µs / %.0f µs | |\n",
		gwDispCPU/float64(o.dispatches)*1e6, lgDispCPU/float64(o.dispatches)*1e6)
	if len(t.nats) > 0 {
		fmt.Printf("| of the gateway side's CPU per dispatch: gateway nodes / NATS servers | %.0f µs / %.0f µs | |\n",
			(gwDispCPU-natsDispCPU)/float64(o.dispatches)*1e6, natsDispCPU/float64(o.dispatches)*1e6)
		fmt.Printf("| NATS servers' RSS: before / after (all three) | %.1f / %.1f MB | |\n", float64(baseNATS)/1024, float64(heldNATS)/1024)
	}
	// The generator shares the machine's cores; what the gateway alone
	// could sustain is the cores divided by its own CPU per operation.
	// Computed, not measured: it assumes perfect use of every core.
	cores := float64(runtime.NumCPU())
	fmt.Printf("| computed: the gateway's rate if it had all %d cores (cores / its CPU per op), connects / dispatches | %.0f /s / %.0f /s | |\n",
		runtime.NumCPU(), cores*float64(o.conns)/gwConnCPU, cores*float64(o.dispatches)/gwDispCPU)
	fmt.Printf("| dispatch-to-receive under saturation p50 / p99 (p99.9, max) | %s / %s (%s, %s) | |\n", ms(satLat[0]), ms(satLat[1]), ms(satLat[2]), ms(satLat[3]))
	fmt.Printf("| dispatch-to-receive at %d/s p50 / p99 (p99.9, max) | %s / %s (%s, %s) | p99 <= 3 ms |\n", o.rate, ms(pacedLat[0]), ms(pacedLat[1]), ms(pacedLat[2]), ms(pacedLat[3]))
	fmt.Printf("| machine floor: bare TCP connect + 1 round trip, held (no gateway) | %.0f /s | |\n", tcpFloor)
	fmt.Printf("| machine floor: trivial net/http server over a unix socket, %d clients, the dispatch phase's client (no gateway) | %.0f /s | |\n", o.dispatchers, httpFloor)
	fmt.Printf("| notifications lost | 0 of %d | 0 |\n", o.dispatches+o.paced)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func user(i int) string { return "user" + strconv.Itoa(i) }

// conn is one held connection; it answers pings and records latencies.
type conn struct {
	ws   *rawConn
	mu   sync.Mutex
	lats []time.Duration
	n    atomic.Int64
}

// connect opens one connection and checks that the gateway answered
// auth_ok for name.
func connect(addr string, upgrade, authFrame []byte, name string) (*conn, error) {
	rc, answer, err := rawDial(addr, upgrade, authFrame)
	if err != nil {
		return nil, err
	}
	if !isAuthOK(answer, name) {
		rc.c.Close()
		return nil, fmt.Errorf("auth: %s", answer)
	}
	return &conn{ws: rc}, nil
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
		// Byte checks, not a JSON decode: the generator must cost less
		// than the gateway it measures. The gateway writes "type" first.
		switch {
		case bytes.HasPrefix(data, pingPrefix):
			c.ws.writeText([]byte(`{"type":"pong"}`))
		case bytes.HasPrefix(data, notificationPrefix):
			ts := sentAt(data)
			c.mu.Lock()
			c.lats = append(c.lats, time.Duration(now-ts))
			c.mu.Unlock()
			c.n.Add(1)
		}
	}
}

var (
	pingPrefix         = []byte(`{"type":"` + protocol.TypePing + `"`)
	notificationPrefix = []byte(`{"type":"` + protocol.TypeNotification + `"`)
	messageKey         = []byte(`"message":"`)
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

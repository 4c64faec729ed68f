package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// gateway is one ws-gateway process under measure.
type gateway struct {
	cmd     *exec.Cmd
	pid     int
	socket  string
	addr    string // its WebSocket listener
	upgrade []byte // the upgrade request for addr
	client  *protocol.Client
	baseRSS int64
	// centrifugo: this is Centrifugo (centrifugo.go), not our gateway.
	centrifugo bool
}

// target is what is measured: one gateway on its embedded store, or (with
// --nats-server) three NATS servers and --nodes gateway nodes on them.
type target struct {
	gws  []*gateway
	nats []*exec.Cmd
}

// pids are every measured process's, for the CPU sums.
func (t *target) pids() []int {
	var out []int
	for _, g := range t.gws {
		out = append(out, g.pid)
	}
	for _, c := range t.nats {
		out = append(out, c.Process.Pid)
	}
	return out
}

func (t *target) cpu() float64 {
	s := 0.0
	for _, p := range t.pids() {
		s += cpuSeconds(p)
	}
	return s
}

func (t *target) natsCPU() float64 {
	s := 0.0
	for _, c := range t.nats {
		s += cpuSeconds(c.Process.Pid)
	}
	return s
}

// gatewaysRSS sums the gateways' RSS (KB); natsRSS the NATS servers'.
func (t *target) gatewaysRSS() int64 {
	var s int64
	for _, g := range t.gws {
		kb, _ := rssKB(g.pid)
		s += kb
	}
	return s
}

func (t *target) natsRSS() int64 {
	var s int64
	for _, c := range t.nats {
		kb, _ := rssKB(c.Process.Pid)
		s += kb
	}
	return s
}

func (t *target) kill() {
	for _, g := range t.gws {
		g.cmd.Process.Kill()
		g.cmd.Wait()
	}
	for _, c := range t.nats {
		c.Process.Kill()
		c.Wait()
	}
}

func (t *target) describe() string {
	if len(t.gws) == 1 && t.gws[0].centrifugo {
		return "Centrifugo, personal channels with history 200 and recovery, HTTP API"
	}
	if len(t.nats) == 0 {
		return "one gateway, embedded store"
	}
	return fmt.Sprintf("cluster: %d NATS servers (JetStream, R3), %d gateway nodes, load split over them", len(t.nats), len(t.gws))
}

// startTarget starts what --nats-server and --nodes ask for.
func startTarget(o options, dir string) (*target, error) {
	t := &target{}
	env := []string{"DESKTOP_JWT_SECRET=" + secret, "WS_GATEWAY_LOG_LEVEL=warn", "WS_GATEWAY_HISTORY_LIMIT=200"}
	nodes := 1
	if o.natsServer != "" {
		urls, err := t.startNATS(o.natsServer, dir)
		if err != nil {
			t.kill()
			return nil, err
		}
		nodes = o.nodes
		env = append(env, "WS_GATEWAY_NATS_URL="+urls)
	} else {
		env = append(env, "WS_GATEWAY_STATE_DIR="+filepath.Join(dir, "state"), "WS_GATEWAY_FSYNC="+strconv.FormatBool(o.fsync))
	}
	for i := range nodes {
		port, err := freePort()
		if err != nil {
			t.kill()
			return nil, err
		}
		g := &gateway{socket: filepath.Join(dir, fmt.Sprintf("ws%d.sock", i)), addr: fmt.Sprintf("127.0.0.1:%d", port)}
		g.upgrade = upgradeRequest(g.addr)
		g.cmd = exec.Command(o.gateway, "serve")
		g.cmd.Env = append(append(os.Environ(), env...),
			"WS_GATEWAY_PORT="+strconv.Itoa(port), "WS_DISPATCH_SOCKET="+g.socket)
		if o.natsServer != "" {
			g.cmd.Env = append(g.cmd.Env, fmt.Sprintf("WS_GATEWAY_NODE=node-%d", i))
		}
		g.cmd.Stdout, g.cmd.Stderr = os.Stderr, os.Stderr
		if err := g.cmd.Start(); err != nil {
			t.kill()
			return nil, fmt.Errorf("start gateway: %w", err)
		}
		g.pid = g.cmd.Process.Pid
		g.client = protocol.NewClient(g.socket)
		t.gws = append(t.gws, g)
		if err := waitUp(g.client); err != nil {
			t.kill()
			return nil, err
		}
	}
	time.Sleep(300 * time.Millisecond)
	for _, g := range t.gws {
		g.baseRSS, _ = rssKB(g.pid)
	}
	return t, nil
}

// startNATS runs three nats-server processes routed into one JetStream
// cluster and returns their client URLs.
func (t *target) startNATS(bin, dir string) (string, error) {
	const n = 3
	var client, route []int
	for range 2 * n {
		p, err := freePort()
		if err != nil {
			return "", err
		}
		if len(client) < n {
			client = append(client, p)
		} else {
			route = append(route, p)
		}
	}
	var routes, urls []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[i]))
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", client[i]))
	}
	for i := range n {
		conf := fmt.Sprintf(`server_name: bench-%d
listen: 127.0.0.1:%d
jetstream { store_dir: %q }
cluster { name: bench, listen: 127.0.0.1:%d, routes: [%s] }
`, i, client[i], filepath.Join(dir, fmt.Sprintf("nats%d", i)), route[i], strings.Join(routes, ", "))
		path := filepath.Join(dir, fmt.Sprintf("nats%d.conf", i))
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			return "", err
		}
		// Its log goes to a file beside its store, not over the figures.
		cmd := exec.Command(bin, "-c", path, "-l", filepath.Join(dir, fmt.Sprintf("nats%d.log", i)))
		if err := cmd.Start(); err != nil {
			return "", fmt.Errorf("start nats-server: %w", err)
		}
		t.nats = append(t.nats, cmd)
	}
	for _, p := range client { // a node refuses to start without NATS
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return "", fmt.Errorf("nats-server on port %d: %w", p, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return strings.Join(urls, ","), nil
}

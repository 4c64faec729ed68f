// Package natstest runs a real NATS cluster with JetStream inside a test
// process: n nats-server instances routed to each other on loopback ports,
// each with its own store folder, that a test can kill and start again.
package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Cluster is a running NATS cluster.
type Cluster struct {
	t       testing.TB
	opts    []*server.Options
	servers []*server.Server
	client  []nats.Option // how WaitReady connects (TLS, credentials)
}

// Start runs an n-server JetStream cluster until the test ends and waits
// until it has a JetStream meta leader.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	clientPorts, routePorts := FreePorts(t, n), FreePorts(t, n)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &Cluster{t: t, opts: make([]*server.Options, n), servers: make([]*server.Server, n)}
	for i := range n {
		c.opts[i] = &server.Options{
			ServerName: fmt.Sprintf("nats-%d", i),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster: server.ClusterOpts{
				Name: "alerts",
				Host: "127.0.0.1",
				Port: routePorts[i],
			},
			Routes: server.RoutesFromStr(strings.Join(routes, ",")),
		}
		if n == 1 {
			c.opts[i].Cluster = server.ClusterOpts{}
			c.opts[i].Routes = nil
		}
	}
	return c.run()
}

// StartWith runs servers with the given options (a test of a shipped
// configuration file parses it with server.ProcessConfigFile).
func StartWith(t testing.TB, opts ...*server.Options) *Cluster {
	t.Helper()
	return StartWithClient(t, nil, opts...)
}

// StartWithClient is StartWith for servers that need client options (TLS,
// credentials) to be reached.
func StartWithClient(t testing.TB, client []nats.Option, opts ...*server.Options) *Cluster {
	t.Helper()
	return (&Cluster{t: t, opts: opts, servers: make([]*server.Server, len(opts)), client: client}).run()
}

func (c *Cluster) run() *Cluster {
	c.t.Helper()
	for i := range c.opts {
		c.startServer(i)
	}
	c.t.Cleanup(c.Shutdown)
	c.WaitReady()
	return c
}

func (c *Cluster) startServer(i int) {
	c.t.Helper()
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatalf("nats server %d: %v", i, err)
	}
	go s.Start()
	if !s.ReadyForConnections(60 * time.Second) {
		c.t.Fatalf("nats server %d not ready", i)
	}
	c.servers[i] = s
}

// WaitReady waits until JetStream answers through every running server
// (a meta leader is elected and the servers are routed).
func (c *Cluster) WaitReady() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for i, s := range c.servers {
		if s == nil {
			continue
		}
		for {
			if err := jsReady(s.ClientURL(), c.client...); err == nil {
				break
			} else if time.Now().After(deadline) {
				c.t.Fatalf("JetStream not ready through nats server %d: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func jsReady(url string, opts ...nats.Option) error {
	nc, err := nats.Connect(url, append([]nats.Option{nats.Timeout(time.Second)}, opts...)...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := nc.JetStream(nats.MaxWait(time.Second))
	if err != nil {
		return err
	}
	_, err = js.AccountInfo()
	return err
}

// URLs is every server's client URL, comma-separated (WS_GATEWAY_NATS_URL).
func (c *Cluster) URLs() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

// URL is server i's client URL.
func (c *Cluster) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port) }

// Stop stops server i abruptly: its clients and routes are cut at once.
// Its store folder is kept, so Restart brings it back with its data.
func (c *Cluster) Stop(i int) {
	if s := c.servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.servers[i] = nil
	}
}

// Restart starts server i again on its ports and store folder.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.startServer(i)
}

// Shutdown stops every server.
func (c *Cluster) Shutdown() {
	for i := range c.servers {
		c.Stop(i)
	}
}

// FreePorts finds n free loopback ports (held open together so they
// differ, then released for the servers to bind).
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

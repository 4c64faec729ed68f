//go:build nginx

package deploy

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
)

const clusterSecret = "deploy-cluster-secret-0123456789abcdef0123456789"

// The shipped cluster files, as shipped but for ports and paths: three NATS
// servers from nats-server.conf, two gateway nodes with the environment of
// ws-gateway@.service and ws-gateway-node.env, nginx with the cluster
// upstream (whose third node is down) and location. Apps connecting through
// nginx land on both nodes, get what is dispatched on either, and when one
// node is drained they reconnect through nginx to the other and resume.
func TestShippedClusterFiles(t *testing.T) {
	nc := startShippedNATS(t)
	bin, err := testbin.Build(t.TempDir(), "github.com/keboola/analyst-alerts/gateway/cmd/ws-gateway")
	if err != nil {
		t.Fatal(err)
	}
	verifyTemplateUnit(t, bin)
	ports := natstest.FreePorts(t, 3) // the third node is never started
	nodes := []*node{startShippedNode(t, bin, nc.URLs(), 1, ports[0]), startShippedNode(t, bin, nc.URLs(), 2, ports[1])}

	dir := t.TempDir()
	upstream, err := os.ReadFile("nginx-ws-cluster-upstream.conf")
	if err != nil {
		t.Fatal(err)
	}
	up := string(upstream)
	for i, shipped := range []string{"127.0.0.1:8765", "127.0.0.1:8766", "127.0.0.1:8767"} {
		up = strings.Replace(up, shipped, "127.0.0.1:"+strconv.Itoa(ports[i]), 1)
	}
	os.WriteFile(filepath.Join(dir, "upstream.conf"), []byte(up), 0o644)
	loc, err := os.ReadFile("nginx-ws-cluster.conf")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ws.conf"), loc, 0o644)
	port := freePort(t)
	startNginx(t, dir, port, []string{"upstream.conf"}, []string{"ws.conf"})
	url := fmt.Sprintf("ws://127.0.0.1:%d/ws/notifications", port)

	// Six apps through nginx: least_conn spreads them over the two live
	// nodes (the dead third is skipped).
	var apps []*websocket.Conn
	for i := range 6 {
		apps = append(apps, dialThrough(t, url, fmt.Sprint("u", i), nil))
	}
	for _, n := range nodes {
		h, err := protocol.NewClient(n.socket).Health(t.Context())
		if err != nil || h.Connections == 0 || h.Cluster == nil || len(h.Cluster.Nodes) != 2 {
			t.Fatalf("node %s: %+v %v; want some of the apps and both nodes", n.name, h, err)
		}
	}
	// Dispatched on node 1, received by every app whichever node holds it.
	last := make([]protocol.NotificationFrame, len(apps))
	for i, ws := range apps {
		if _, err := protocol.NewClient(nodes[0].socket).Dispatch(t.Context(), fmt.Sprint("u", i), protocol.Notification{Title: "one"}); err != nil {
			t.Fatal(err)
		}
		last[i] = readNote(t, ws)
	}
	// Drain node 1: its apps get 1012, reconnect through nginx, land on
	// node 2 and resume; what was dispatched meanwhile reaches them.
	h1, err := protocol.NewClient(nodes[0].socket).Health(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	nodes[0].cmd.Process.Signal(syscall.SIGTERM)
	for i, ws := range apps {
		if h1.Users[fmt.Sprint("u", i)] == 0 {
			continue // on node 2: stays connected
		}
		for {
			ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := ws.ReadMessage(); err != nil {
				if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
					t.Fatalf("u%d on the drained node: %v, want 1012", i, err)
				}
				break
			}
		}
		ws.Close()
		apps[i] = nil
	}
	if err := nodes[0].cmd.Wait(); err != nil {
		t.Fatalf("node 1 after SIGTERM: %v\n%s", err, nodes[0].out)
	}
	for i := range apps {
		if _, err := protocol.NewClient(nodes[1].socket).Dispatch(t.Context(), fmt.Sprint("u", i), protocol.Notification{Title: "two"}); err != nil {
			t.Fatal(err)
		}
		if apps[i] == nil {
			apps[i] = dialThrough(t, url, fmt.Sprint("u", i), &protocol.Resume{Epoch: last[i].Epoch, Seq: last[i].Seq})
		}
		if f := readNote(t, apps[i]); f.Title != "two" || f.Seq != 2 {
			t.Fatalf("u%d after the drain: %+v", i, f)
		}
	}
	h, err := protocol.NewClient(nodes[1].socket).Health(t.Context())
	if err != nil || h.Connections != 6 {
		t.Fatalf("node 2 after the drain: %+v %v; want all six apps", h, err)
	}
}

// startShippedNATS runs three servers from nats-server.conf, changing only
// names, ports and the store folder.
func startShippedNATS(t *testing.T) *natstest.Cluster {
	shipped, err := os.ReadFile("nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	client, routes, http := natstest.FreePorts(t, 3), natstest.FreePorts(t, 3), natstest.FreePorts(t, 3)
	var opts []*server.Options
	for i := range 3 {
		c := string(shipped)
		c = strings.Replace(c, "server_name: nats-1", fmt.Sprintf("server_name: nats-%d", i+1), 1)
		c = strings.Replace(c, "listen: 0.0.0.0:4222", fmt.Sprintf("listen: 127.0.0.1:%d", client[i]), 1)
		c = strings.Replace(c, "listen: 0.0.0.0:6222", fmt.Sprintf("listen: 127.0.0.1:%d", routes[i]), 1)
		c = strings.Replace(c, "http: 127.0.0.1:8222", fmt.Sprintf("http: 127.0.0.1:%d", http[i]), 1)
		c = strings.Replace(c, "/var/lib/nats/jetstream", t.TempDir(), 1)
		for k := range 3 {
			c = strings.Replace(c, fmt.Sprintf("nats-route://nats-%d:6222", k+1), fmt.Sprintf("nats-route://127.0.0.1:%d", routes[k]), 1)
		}
		path := filepath.Join(t.TempDir(), "nats-server.conf")
		os.WriteFile(path, []byte(c), 0o644)
		o, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatalf("the shipped nats-server.conf: %v", err)
		}
		if !o.JetStream || o.Cluster.Name != "analyst-alerts" || len(o.Routes) != 3 {
			t.Fatalf("the shipped nats-server.conf: jetstream %v, cluster %q, %d routes", o.JetStream, o.Cluster.Name, len(o.Routes))
		}
		o.NoLog, o.NoSigs = true, true
		opts = append(opts, o)
	}
	return natstest.StartWith(t, opts...)
}

// verifyTemplateUnit has systemd check ws-gateway@.service as an instance.
func verifyTemplateUnit(t *testing.T, bin string) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the unit is not verified")
		return
	}
	unit, err := os.ReadFile("ws-gateway@.service")
	if err != nil {
		t.Fatal(err)
	}
	u := strings.ReplaceAll(string(unit), "/usr/local/bin/ws-gateway", bin)
	u = strings.ReplaceAll(u, "EnvironmentFile=/", "EnvironmentFile=-/") // not on this machine
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ws-gateway@1.service"), []byte(u), 0o644)
	if out, err := exec.Command(sa, "verify", filepath.Join(dir, "ws-gateway@1.service")).CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze verify ws-gateway@.service: %v\n%s", err, out)
	}
}

type node struct {
	name, socket string
	cmd          *exec.Cmd
	out          *gatewaytest.LogBuffer
}

// startShippedNode runs the gateway as ws-gateway@<i> would: the unit's
// Environment= lines (with %H and %i expanded, the socket moved to a test
// folder) and ws-gateway-node.env with its port.
func startShippedNode(t *testing.T, bin, natsURLs string, i, port int) *node {
	env := []string{"DESKTOP_JWT_SECRET=" + clusterSecret, "WS_GATEWAY_NATS_URL=" + natsURLs}
	for _, line := range fileLines(t, "ws-gateway-node.env") {
		env = append(env, strings.Replace(line, "WS_GATEWAY_PORT=8765", "WS_GATEWAY_PORT="+strconv.Itoa(port), 1))
	}
	host, _ := os.Hostname()
	sockDir, err := os.MkdirTemp("", "gwnode")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	n := &node{out: &gatewaytest.LogBuffer{}}
	trusted, stateDir := "", false
	for _, line := range fileLines(t, "ws-gateway@.service") {
		v, ok := strings.CutPrefix(line, "Environment=")
		if !ok {
			continue
		}
		if g, ok := strings.CutPrefix(v, "WS_DISPATCH_TRUSTED_GROUP="); ok {
			// data-ops, as ws-gateway.service; this machine may not have
			// it, and an unknown group stops the start: the test's own
			// group stands in.
			trusted = g
			own, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
			if err != nil {
				t.Fatal(err)
			}
			v = "WS_DISPATCH_TRUSTED_GROUP=" + own.Name
		}
		v = strings.ReplaceAll(strings.ReplaceAll(v, "%H", host), "%i", strconv.Itoa(i))
		v = strings.Replace(v, fmt.Sprintf("/run/ws-gateway-%d", i), sockDir, 1)
		if _, ok := strings.CutPrefix(v, "WS_GATEWAY_STATE_DIR="); ok {
			if v != fmt.Sprintf("WS_GATEWAY_STATE_DIR=/var/lib/ws-gateway-%d", i) {
				t.Fatalf("the unit sets %s: each node needs its own state folder", v)
			}
			stateDir = true
			v = "WS_GATEWAY_STATE_DIR=" + t.TempDir()
		}
		env = append(env, v)
		if s, ok := strings.CutPrefix(v, "WS_DISPATCH_SOCKET="); ok {
			n.socket = s
		}
		if s, ok := strings.CutPrefix(v, "WS_GATEWAY_NODE="); ok {
			n.name = s
		}
	}
	if n.socket == "" || n.name != fmt.Sprintf("%s-%d", host, i) || trusted != "data-ops" || !stateDir {
		t.Fatalf("the unit sets socket %q, node %q, trusted group %q (want data-ops, as ws-gateway.service), a state folder of its own: %v",
			n.socket, n.name, trusted, stateDir)
	}
	n.cmd = exec.Command(bin, "serve")
	n.cmd.Env = env
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.cmd.Process.Kill(); n.cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := protocol.NewClient(n.socket).Health(context.Background()); err == nil {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %d did not come up:\n%s", i, n.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fileLines is a shipped file's lines without comments and blank lines.
func fileLines(t *testing.T, name string) []string {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func dialThrough(t *testing.T, url, user string, resume *protocol.Resume) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial through nginx: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	tok, _, err := protocol.IssueToken([]byte(clusterSecret), protocol.DefaultIssuer, user, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tok, Resume: resume})
	var ok protocol.AuthOK
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK {
		t.Fatalf("auth of %s through nginx: %+v %v", user, ok, err)
	}
	return ws
}

func readNote(t *testing.T, ws *websocket.Conn) protocol.NotificationFrame {
	t.Helper()
	for {
		var f protocol.NotificationFrame
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("read through nginx: %v", err)
		}
		if f.Type == protocol.TypeNotification {
			return f
		}
	}
}

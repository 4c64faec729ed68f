package natstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Procs is a NATS cluster of real nats-server processes, for faults the
// in-process servers cannot show: kill -9 leaves no chance to hand over a
// leadership or flush anything.
type Procs struct {
	t      testing.TB
	bin    string
	confs  []string
	ports  []int
	cmds   []*exec.Cmd
	logDir string
}

// StartProcs runs n nats-server processes from bin (build it with
// testbin.Build(dir, "github.com/nats-io/nats-server/v2")) routed into one
// JetStream cluster, until the test ends.
func StartProcs(t testing.TB, bin string, n int) *Procs {
	t.Helper()
	client, route := FreePorts(t, n), FreePorts(t, n)
	var routes []string
	for _, p := range route {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	p := &Procs{t: t, bin: bin, ports: client, cmds: make([]*exec.Cmd, n), logDir: t.TempDir()}
	for i := range n {
		conf := fmt.Sprintf("server_name: nats-%d\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q }\ncluster { name: alerts, listen: 127.0.0.1:%d, routes: [%s] }\n",
			i, client[i], t.TempDir(), route[i], strings.Join(routes, ", "))
		path := filepath.Join(t.TempDir(), "nats.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		p.confs = append(p.confs, path)
	}
	for i := range n {
		p.Restart(i)
	}
	t.Cleanup(func() {
		for i := range p.cmds {
			p.Kill9(i)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for i := range n {
		for jsReady(p.URL(i)) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("JetStream not ready through nats-server %d", i)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return p
}

// Restart starts server i (again, on its ports and store).
func (p *Procs) Restart(i int) {
	p.t.Helper()
	cmd := exec.Command(p.bin, "-c", p.confs[i], "-l", filepath.Join(p.logDir, fmt.Sprintf("nats-%d.log", i)))
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmds[i] = cmd
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p.ports[i]))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("nats-server %d does not listen: %v", i, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill9 kills server i with SIGKILL and waits for it to be gone.
func (p *Procs) Kill9(i int) {
	if c := p.cmds[i]; c != nil {
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		p.cmds[i] = nil
	}
}

// URL is server i's client URL; URLs all of them, comma-separated.
func (p *Procs) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", p.ports[i]) }

func (p *Procs) URLs() string {
	var out []string
	for i := range p.ports {
		out = append(out, p.URL(i))
	}
	return strings.Join(out, ",")
}

// StreamLeader is the index of the server leading the named stream.
func (p *Procs) StreamLeader(stream string) int {
	p.t.Helper()
	nc, err := nats.Connect(p.URLs())
	if err != nil {
		p.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		p.t.Fatal(err)
	}
	s, err := js.Stream(p.t.Context(), stream)
	if err != nil {
		p.t.Fatal(err)
	}
	info := s.CachedInfo()
	var i int
	if info.Cluster == nil || info.Cluster.Leader == "" {
		p.t.Fatalf("stream %s has no leader", stream)
	}
	if _, err := fmt.Sscanf(info.Cluster.Leader, "nats-%d", &i); err != nil {
		p.t.Fatalf("leader %q: %v", info.Cluster.Leader, err)
	}
	return i
}

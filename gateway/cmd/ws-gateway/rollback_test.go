package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// lastBboltGateway is the last commit whose gateway kept the history in
// history.db (bbolt): what an operator runs after rolling the package back
// past the journal history.
const lastBboltGateway = "0016fc7400b049616e1bcdd62f30a2c24450945a"

// oldGateway builds ws-gateway as of lastBboltGateway, once: the binary is
// kept in .local/ (as setup keeps its tools), so later runs take no time.
// A checkout without that commit (a shallow clone) skips the test.
func oldGateway(t *testing.T) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if err := exec.Command("git", "-C", root, "cat-file", "-e", lastBboltGateway+"^{commit}").Run(); err != nil {
		t.Skipf("commit %s is not in this checkout (a shallow clone?): %v", lastBboltGateway[:7], err)
	}
	dir := filepath.Join(root, ".local", "ws-gateway-"+lastBboltGateway[:7])
	bin := filepath.Join(dir, "ws-gateway")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.MkdirTemp(dir, "src")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(src)
	start := time.Now()
	archive := filepath.Join(src, "src.tar")
	for _, args := range [][]string{
		{"git", "-C", root, "archive", "-o", archive, lastBboltGateway, "go.mod", "go.sum", "gateway", "internal", "webapp"},
		{"tar", "-x", "-f", archive, "-C", src},
		{"go", "build", "-o", bin + ".tmp", "./gateway/cmd/ws-gateway"},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built the gateway of %s in %v (kept in %s)", lastBboltGateway[:7], time.Since(start).Round(time.Millisecond), dir)
	return bin
}

// The rollback: a package downgraded past the journal history starts the
// older gateway on a folder in the new layout, which it cannot read and
// would empty (new epoch, every segment deleted). It must refuse to start
// and leave the folder as it was, and the new gateway, started again, has
// every notification. Both ways into the new layout: a folder the new
// gateway converted from the older one's, and one it created.
func TestOlderGatewayRefusesTheNewLayout(t *testing.T) {
	old := oldGateway(t)
	users := []string{"petr", "jana"}
	for _, converted := range []bool{true, false} {
		t.Run(fmt.Sprint("converted=", converted), func(t *testing.T) {
			p := newProc(t)
			var sent []string // user/id in dispatch order
			dispatch := func(n int) {
				t.Helper()
				cl := protocol.NewClient(p.socket)
				defer cl.Close()
				for i := 0; i < n; i++ {
					for _, u := range users {
						id := fmt.Sprintf("n%d", len(sent)/len(users))
						if _, err := cl.Dispatch(context.Background(), u, protocol.Notification{ID: id, Title: id}); err != nil {
							t.Fatalf("dispatch to %s: %v", u, err)
						}
						sent = append(sent, u+"/"+id)
					}
				}
			}
			stop := func() {
				t.Helper()
				p.cmd.Process.Signal(syscall.SIGTERM)
				if err := p.cmd.Wait(); err != nil {
					t.Fatalf("gateway exit: %v\n%s", err, p.out)
				}
			}
			if converted {
				p.bin = old
				p.start(t)
				dispatch(5)
				stop()
				p.bin = ""
			}
			p.start(t)
			epoch, err := protocol.NewClient(p.socket).Epoch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			dispatch(5)
			stop()

			before := snapshot(t, p.state)
			cmd := exec.Command(old, "serve")
			cmd.Env = p.env()
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			if err := waitRefusal(exited, p.socket); err != nil {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("%v:\n%s\nthe folder before:\n%s\nafter:\n%s", err, &out, before, snapshot(t, p.state))
			}
			if want := filepath.Join(p.state, "history.db") + ": invalid database"; !strings.Contains(out.String(), want) {
				t.Fatalf("the older gateway's error lacks %q:\n%s", want, &out)
			}
			if after := snapshot(t, p.state); after != before {
				t.Fatalf("the older gateway changed the folder:\nbefore:\n%s\nafter:\n%s", before, after)
			}

			p.start(t)
			got, err := protocol.NewClient(p.socket).Epoch(context.Background())
			if err != nil || got != epoch {
				t.Fatalf("epoch %q %v after the refused rollback, want %q", got, err, epoch)
			}
			var replayed []string
			for _, u := range users {
				for _, id := range replay(t, p.url(), u, len(sent)/len(users), epoch) {
					replayed = append(replayed, u+"/"+id)
				}
			}
			want := map[string]bool{}
			for _, s := range sent {
				want[s] = true
			}
			for _, r := range replayed {
				if !want[r] {
					t.Fatalf("replayed %s, never sent (or twice)", r)
				}
				delete(want, r)
			}
			if len(want) != 0 {
				t.Fatalf("lost: %v", want)
			}
			t.Logf("%d notifications kept; the older gateway said: %s", len(sent), strings.TrimSpace(out.String()))
		})
	}
}

// waitRefusal waits for the older gateway to exit with status 1, and fails
// as soon as it answers on its socket instead (it started).
func waitRefusal(exited <-chan error, socket string) error {
	deadline := time.After(20 * time.Second)
	for {
		select {
		case err := <-exited:
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				return fmt.Errorf("the older gateway exited with %v, want status 1", err)
			}
			return nil
		case <-deadline:
			return errors.New("the older gateway neither started nor exited in 20 s")
		case <-time.After(20 * time.Millisecond):
			if _, err := protocol.NewClient(socket).Health(context.Background()); err == nil {
				return errors.New("the older gateway started on the new layout")
			}
		}
	}
}

// replay connects as user from the start of the history and returns the ids
// of the n notifications replayed, checking their epoch and seqs 1..n.
func replay(t *testing.T, url, user string, n int, epoch string) []string {
	t.Helper()
	ws, err := connect(t, url, user, &protocol.Resume{})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var ids []string
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(ids) < n {
		var m protocol.NotificationFrame
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("%s: %d of %d replayed: %v", user, len(ids), n, err)
		}
		if m.Type != protocol.TypeNotification {
			continue
		}
		if m.Epoch != epoch || m.Seq != uint64(len(ids)+1) {
			t.Fatalf("%s: replayed epoch %q seq %d, want %q seq %d", user, m.Epoch, m.Seq, epoch, len(ids)+1)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// snapshot lists dir's files with their size and digest.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %x\n", e.Name(), len(data), sha256.Sum256(data))
	}
	return b.String()
}

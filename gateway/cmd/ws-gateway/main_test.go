package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/internal/testusers"
)

var binary string

// The real binary, built with the race detector so the process tests
// check the gateway's concurrency too.
func TestMain(m *testing.M) { testbin.Main(m, &binary, "-race") }

const secret = "cmd-test-secret-0123456789abcdef0123456789"

// proc is the real ws-gateway binary running with an environment.
type proc struct {
	bin    string // the binary; the one under test when empty
	cmd    *exec.Cmd
	socket string
	port   int
	state  string
	out    *gatewaytest.LogBuffer
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newProc(t *testing.T) *proc {
	dir, err := os.MkdirTemp("", "wsgw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &proc{socket: filepath.Join(dir, "run", "ws.sock"), port: freePort(t), state: filepath.Join(dir, "state")}
}

func (p *proc) start(t *testing.T, extra ...string) {
	t.Helper()
	p.out = &gatewaytest.LogBuffer{}
	bin := binary
	if p.bin != "" {
		bin = p.bin
	}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(p.env(), extra...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := protocol.NewClient(p.socket).Health(context.Background()); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not come up:\n%s", p.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// env is the gateway's environment for serve.
func (p *proc) env() []string {
	return []string{
		"DESKTOP_JWT_SECRET=" + secret,
		"WS_GATEWAY_HOST=127.0.0.1",
		"WS_GATEWAY_PORT=" + strconv.Itoa(p.port),
		"WS_DISPATCH_SOCKET=" + p.socket,
		"WS_GATEWAY_STATE_DIR=" + p.state,
	}
}

func (p *proc) url() string { return fmt.Sprintf("ws://127.0.0.1:%d/", p.port) }

func token(t *testing.T, user string) string {
	tok, _, err := protocol.IssueToken([]byte(secret), protocol.DefaultIssuer, user, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func connect(t *testing.T, url, user string, resume *protocol.Resume) (*websocket.Conn, error) {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: token(t, user), Resume: resume})
	var ok protocol.AuthOK
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK {
		ws.Close()
		return nil, fmt.Errorf("auth: %v %+v", err, ok)
	}
	ws.SetReadDeadline(time.Time{})
	return ws, nil
}

// The done-when of the gateway: kill -9 in the middle of a stream of
// dispatches, restart, and a resuming client ends up with every
// acknowledged notification, once, in order.
func TestKill9MidStreamLosesNothingAcknowledged(t *testing.T) {
	p := newProc(t)
	// The OS write alone must survive kill -9; the history holds the whole test.
	p.start(t, "WS_GATEWAY_FSYNC=false", "WS_GATEWAY_HISTORY_LIMIT=1000000")

	var mu sync.Mutex
	acked := map[string]uint64{} // id -> seq

	// Dispatchers stream until the gateway dies.
	stop := make(chan struct{})
	var dwg sync.WaitGroup
	for w := 0; w < 4; w++ {
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			cl := protocol.NewClient(p.socket)
			defer cl.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				res, err := cl.Dispatch(context.Background(), "petr", protocol.Notification{ID: id, Title: id})
				if err != nil {
					continue // the gateway is down or restarting: not acknowledged
				}
				mu.Lock()
				acked[id] = res.Seq
				mu.Unlock()
			}
		}()
	}
	// The app: reads, remembers the last (epoch, seq), resumes after a drop.
	var got []map[string]any
	var last protocol.Resume
	read := func(ws *websocket.Conn, until time.Time) {
		for {
			ws.SetReadDeadline(until)
			var m map[string]any
			if err := ws.ReadJSON(&m); err != nil {
				return
			}
			if m["type"] == protocol.TypeNotification {
				got = append(got, m)
				last = protocol.Resume{Epoch: m["epoch"].(string), Seq: uint64(m["seq"].(float64))}
			}
		}
	}
	ws, err := connect(t, p.url(), "petr", &protocol.Resume{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(700 * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
	}()
	read(ws, time.Now().Add(5*time.Second)) // ends when the gateway dies
	ws.Close()
	p.cmd.Wait()
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	if before < 50 {
		t.Fatalf("only %d dispatches acknowledged before the kill", before)
	}

	p.start(t, "WS_GATEWAY_FSYNC=false", "WS_GATEWAY_HISTORY_LIMIT=1000000") // same state dir; the stale socket is replaced
	time.Sleep(300 * time.Millisecond)                                       // more dispatches land after the restart
	close(stop)
	dwg.Wait()
	ws, err = connect(t, p.url(), "petr", &last)
	if err != nil {
		t.Fatalf("resume after restart: %v\ngateway log:\n%s", err, p.out)
	}
	read(ws, time.Now().Add(2*time.Second))
	ws.Close()

	seen := map[string]bool{}
	for i, m := range got {
		id := m["id"].(string)
		if seen[id] {
			t.Fatalf("notification %s delivered twice", id)
		}
		seen[id] = true
		if i > 0 && uint64(m["seq"].(float64)) != uint64(got[i-1]["seq"].(float64))+1 {
			t.Fatalf("seq gap or disorder at %d: %v after %v", i, m["seq"], got[i-1]["seq"])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id, seq := range acked {
		if !seen[id] {
			t.Fatalf("acknowledged notification %s (seq %d) lost; got %d of %d acknowledged", id, seq, len(seen), len(acked))
		}
	}
	t.Logf("%d acknowledged (%d before kill -9), %d received, in order, once", len(acked), before, len(got))
}

func TestSIGTERMShutsDownCleanly(t *testing.T) {
	p := newProc(t)
	p.start(t)
	ws, err := connect(t, p.url(), "petr", nil)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Fatalf("close = %v, want 1001", err)
			}
			break
		}
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.out)
	}
	if _, err := os.Stat(p.socket); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	for _, want := range []string{"client disconnected", "shutting down", "gateway stopped"} {
		if !strings.Contains(p.out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, p.out)
		}
	}
	if strings.Contains(p.out.String(), token(t, "petr")[:40]) {
		t.Fatal("a token reached the log")
	}
}

func TestSeedEnvironmentIsHonoured(t *testing.T) {
	p := newProc(t)
	p.start(t, "HEARTBEAT_INTERVAL_SECONDS=0.2", "HEARTBEAT_TIMEOUT_MISSED=1", "MAX_CONNECTIONS_PER_USER=1",
		"DESKTOP_JWT_ISSUER=data-analyst")
	ws, err := connect(t, p.url(), "petr", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, p.url(), "petr", nil); err == nil {
		t.Fatal("MAX_CONNECTIONS_PER_USER=1 not honoured")
	}
	start := time.Now()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("heartbeat settings not honoured: dropped after %v", d)
	}
	fi, err := os.Stat(p.socket)
	if err != nil || fi.Mode().Perm() != 0o770 {
		t.Fatalf("socket: %v %v", fi, err)
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	for _, env := range [][]string{{}, {"DESKTOP_JWT_SECRET=short"}, {"DESKTOP_JWT_SECRET=" + secret, "WS_GATEWAY_PORT=x"}} {
		var out, errb bytes.Buffer
		if code := run([]string{"serve"}, env, &out, &errb); code != 2 || !strings.Contains(errb.String(), "WS_GATEWAY") && !strings.Contains(errb.String(), "DESKTOP_JWT_SECRET") {
			t.Errorf("env %v: exit %d, stderr %q", env, code, errb.String())
		}
	}
}

func TestHealthAndSendCommands(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{WatchTick: 50 * time.Millisecond, RunnerSilentAfter: 1})
	env := []string{"WS_DISPATCH_SOCKET=" + gw.Socket}
	ws, err := connect2(gw, "petr")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// jana's runner reported once, a second apart: overdue after a second.
	hc := gw.Client()
	defer hc.Close()
	if err := hc.Heartbeat(context.Background(), protocol.HeartbeatRequest{User: "jana", Every: "1s"}); err != nil {
		t.Fatal(err)
	}

	var out, errb bytes.Buffer
	for end := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "runners overdue: 1"); {
		if time.Now().After(end) {
			t.Fatalf("health never listed jana's runner: %q", out.String())
		}
		time.Sleep(50 * time.Millisecond)
		out.Reset()
		run([]string{"health"}, env, &out, &errb)
	}
	if !strings.Contains(out.String(), "connections: 1") || !strings.Contains(out.String(), "petr") ||
		!regexp.MustCompile(`\n  jana +last pass \S+Z, every 1s`).MatchString(out.String()) {
		t.Fatalf("health: %q %q", out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"health", "--json"}, env, &out, &errb); code != 0 {
		t.Fatalf("health --json: %d", code)
	}
	var h protocol.HealthResponse
	if err := json.Unmarshal(out.Bytes(), &h); err != nil || h.Status != "ok" || h.Users["petr"] != 1 {
		t.Fatalf("health --json: %q", out.String())
	}
	out.Reset()
	code := run([]string{"send", "--user", "petr", "--title", "T", "--message", "M", "--image-url", "/api/notifications/images/a.png", "--script", "s"}, env, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "sent to 1") {
		t.Fatalf("send: %d %q %q", code, out.String(), errb.String())
	}
	var n protocol.NotificationFrame
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&n); err != nil || n.Title != "T" || n.Message != "M" || n.Script != "s" || n.ImageURL == "" || n.Seq != 1 {
		t.Fatalf("sent notification: %+v %v", n, err)
	}
	// The usage names --user, --title and --message without brackets: each
	// is required, and a missing one is a usage error (2) that names it,
	// before anything is sent.
	for _, c := range []struct {
		args    []string
		missing string
	}{
		{[]string{"send", "--title", "T", "--message", "M"}, "--user"},
		{[]string{"send", "--user", "petr", "--message", "M"}, "--title"},
		{[]string{"send", "--user", "petr", "--title", "T"}, "--message"},
		{[]string{"send", "--user", "petr", "--title", "", "--message", "M"}, "--title"},
	} {
		errb.Reset()
		if code := run(c.args, env, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.missing+" is required") {
			t.Fatalf("%q: exit %d, %q; want 2 and %s is required", c.args, code, errb.String(), c.missing)
		}
	}
	// Nothing of them was sent: the next notification the app gets is #2.
	if code := run([]string{"send", "--user", "petr", "--title", "next", "--message", "M"}, env, &out, &errb); code != 0 {
		t.Fatalf("send: %d %q", code, errb.String())
	}
	if err := ws.ReadJSON(&n); err != nil || n.Title != "next" || n.Seq != 2 {
		t.Fatalf("after the refused sends: %+v %v", n, err)
	}
	// Down: exit 1, and --json still prints something parseable.
	gw.Stop()
	out.Reset()
	errb.Reset()
	if code := run([]string{"health", "--json"}, env, &out, &errb); code != 1 || !strings.Contains(out.String(), `"down"`) {
		t.Fatalf("health when down: %d %q", code, out.String())
	}
	if code := run([]string{"send", "--user", "u", "--title", "T", "--message", "M"}, env, &out, &errb); code != 1 {
		t.Fatalf("send when down: %d", code)
	}
}

func connect2(gw *gatewaytest.Gateway, user string) (*websocket.Conn, error) {
	ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
	if err != nil {
		return nil, err
	}
	tok, _, _ := protocol.IssueToken(gw.Secret, gw.Issuer, user, time.Now())
	ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tok})
	var ok protocol.AuthOK
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK {
		return nil, fmt.Errorf("auth: %v", err)
	}
	return ws, nil
}

// Run as an analyst (here nobody), health and send say plainly that they
// were refused and why: by the socket's permissions, or by the gateway
// (403: only trusted users read the health or dispatch to others).
func TestHealthAndSendAsAnUntrustedUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test runs the command as nobody: it needs root (as make test runs it)")
	}
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(gw.Socket), 0o755)
	asNobody := func(args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(binary, append(args, "--socket", gw.Socket)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		testusers.RunAs(cmd, testusers.Nobody(t))
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}

	// The socket is 0770 root:root: nobody cannot even open it.
	code, _, errs := asNobody("send", "--user", "nobody", "--title", "T", "--message", "M")
	if code != 1 || !strings.Contains(errs, "permission denied on the dispatch socket "+gw.Socket+": is user nobody in group root (the socket's group)?") {
		t.Fatalf("send without access to the socket: exit %d, %q", code, errs)
	}
	code, out, errs := asNobody("health", "--json")
	if code != 1 || !strings.Contains(out, `"refused"`) || strings.Contains(errs, "DOWN") || !strings.Contains(errs, "group root") {
		t.Fatalf("health without access to the socket: exit %d, %q %q", code, out, errs)
	}

	// Open to all: nobody may dispatch to itself, not to others, and may
	// not read the health.
	os.Chmod(gw.Socket, 0o777)
	if code, out, errs := asNobody("send", "--user", "nobody", "--title", "T", "--message", "M"); code != 0 || !strings.Contains(out, "stored as #1") {
		t.Fatalf("send to itself: exit %d, %q %q", code, out, errs)
	}
	code, _, errs = asNobody("send", "--user", "petr", "--title", "T", "--message", "M")
	if code != 1 || !strings.Contains(errs, "403") || !strings.Contains(errs, "may only dispatch to its own user") {
		t.Fatalf("send to petr: exit %d, %q", code, errs)
	}
	code, _, errs = asNobody("health")
	if code != 1 || strings.Contains(errs, "DOWN") || !strings.Contains(errs, "needs root or the gateway's own user") {
		t.Fatalf("health: exit %d, %q", code, errs)
	}
}

// An acknowledgement is an event in the history: after a kill -9 it is
// still there, and a device resuming from before it is told of it, once,
// in order with the alerts.
func TestAckSurvivesKill9AndIsReplayed(t *testing.T) {
	p := newProc(t)
	p.start(t, "WS_GATEWAY_FSYNC=false")
	cl := protocol.NewClient(p.socket)
	defer cl.Close()
	ctx := context.Background()
	first, err := cl.Dispatch(ctx, "petr", protocol.Notification{ID: "n1", Title: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Dispatch(ctx, "petr", protocol.Notification{ID: "n2", Title: "two"}); err != nil {
		t.Fatal(err)
	}
	res, err := cl.Ack(ctx, "petr", "n1", protocol.ViaWeb)
	if err != nil || !res.Acked || res.Seq != 3 {
		t.Fatalf("ack: %+v %v", res, err)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p.start(t, "WS_GATEWAY_FSYNC=false")

	st, err := cl.Notification(ctx, "petr", "n1")
	if err != nil || !st.Acked() || *st.AckedVia != protocol.ViaWeb {
		t.Fatalf("after kill -9: %+v %v", st, err)
	}
	h, err := cl.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := connect(t, p.url(), "petr", &protocol.Resume{Epoch: h.Epoch, Seq: first.Seq})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var got []string
	for len(got) < 2 {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("replay after %v: %v", got, err)
		}
		if m["type"] != protocol.TypePing {
			got = append(got, fmt.Sprintf("%v %v %v", m["type"], m["id"], m["seq"]))
		}
	}
	if want := []string{"notification n2 2", "acked n1 3"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("replay %q, want %q", got, want)
	}
	// Acknowledging again after the restart is not an error and stores nothing.
	if res, err := cl.Ack(ctx, "petr", "n1", protocol.ViaAPI); err != nil || res.Acked {
		t.Fatalf("second ack: %+v %v", res, err)
	}
	if res, _ := cl.Dispatch(ctx, "petr", protocol.Notification{ID: "n3"}); res.Seq != 4 {
		t.Fatalf("next seq %d, want 4", res.Seq)
	}
}

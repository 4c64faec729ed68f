package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
)

// The cluster tests run a real three-server NATS cluster (in this test
// process) and real ws-gateway processes, each a node of the cluster.

// startNode starts gateway process i as node gw-i, using NATS server i
// first and the others after it.
func startNode(t *testing.T, nc *natstest.Cluster, i int, extra ...string) *proc {
	t.Helper()
	return startNodeOn(t, nc.URL(i%3)+","+nc.URLs(), i, extra...)
}

// startNodeOn starts gateway process i as node gw-i on the given NATS URLs.
func startNodeOn(t *testing.T, urls string, i int, extra ...string) *proc {
	t.Helper()
	p := newProc(t)
	p.start(t, append([]string{
		"WS_GATEWAY_NATS_URL=" + urls,
		fmt.Sprintf("WS_GATEWAY_NODE=gw-%d", i),
		"WS_GATEWAY_SHUTDOWN_SECONDS=5",
	}, extra...)...)
	return p
}

func startNodes(t *testing.T, n int) (*natstest.Cluster, []*proc) {
	t.Helper()
	nc := natstest.Start(t, 3)
	var ps []*proc
	for i := range n {
		ps = append(ps, startNode(t, nc, i))
	}
	return nc, ps
}

// app is a connected app that reads in the background.
type app struct {
	ws      *websocket.Conn
	replay  int
	frames  chan protocol.NotificationFrame
	ended   chan error // the read error (close frame) that ended it
	authErr string     // an auth_error's message, read before ended
}

func dialApp(t *testing.T, url, user string, iat time.Time, resume *protocol.Resume) (*app, error) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	tok, _, err := protocol.IssueToken([]byte(secret), protocol.DefaultIssuer, user, iat)
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tok, Resume: resume})
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var first map[string]any
	if err := ws.ReadJSON(&first); err != nil {
		ws.Close()
		return nil, fmt.Errorf("auth: %w", err)
	}
	if first["type"] != protocol.TypeAuthOK {
		ws.Close()
		return nil, fmt.Errorf("auth refused: %v", first["message"])
	}
	ws.SetReadDeadline(time.Time{})
	a := &app{ws: ws, frames: make(chan protocol.NotificationFrame, 10000), ended: make(chan error, 1)}
	if r, ok := first["replay"].(float64); ok {
		a.replay = int(r)
	}
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				a.ended <- err
				close(a.frames)
				return
			}
			var f struct {
				protocol.NotificationFrame
				Message string `json:"message"`
			}
			if json.Unmarshal(data, &f) != nil {
				continue
			}
			switch f.Type {
			case protocol.TypeNotification:
				a.frames <- f.NotificationFrame
			case protocol.TypeAuthError:
				a.authErr = f.Message
			}
		}
	}()
	t.Cleanup(func() { ws.Close() })
	return a, nil
}

// expect reads the next frames and checks their seqs.
func (a *app) expect(t *testing.T, seqs ...uint64) protocol.NotificationFrame {
	t.Helper()
	var last protocol.NotificationFrame
	for _, want := range seqs {
		select {
		case f, ok := <-a.frames:
			if !ok {
				t.Fatalf("connection ended waiting for seq %d: %v", want, <-a.ended)
			}
			if f.Seq != want {
				t.Fatalf("got seq %d, want %d", f.Seq, want)
			}
			last = f
		case <-time.After(10 * time.Second):
			t.Fatalf("no seq %d within 10 s", want)
		}
	}
	return last
}

func dispatch(t *testing.T, p *proc, user string, i int) protocol.DispatchResponse {
	t.Helper()
	c := protocol.NewClient(p.socket)
	defer c.Close()
	res, err := c.Dispatch(context.Background(), user, protocol.Notification{ID: fmt.Sprint("n", i), Title: fmt.Sprint("t", i)})
	if err != nil {
		t.Fatalf("dispatch: %v", err)
	}
	return res
}

func seqs(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func TestClusterFanOutAndResumeAcrossNodes(t *testing.T) {
	_, ps := startNodes(t, 3)
	a0, err := dialApp(t, ps[0].url(), "ann", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a1, err := dialApp(t, ps[1].url(), "ann", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Dispatched on the third node, which holds none of ann's connections.
	// sent counts the connections in the cluster as node 2 last saw them:
	// the second connect may reach its view a moment after its auth_ok.
	var sent []int
	for i := 1; i <= 5; i++ {
		res := dispatch(t, ps[2], "ann", i)
		if res.Seq != uint64(i) || !res.Stored {
			t.Fatalf("dispatch %d: %+v; want seq %d stored", i, res, i)
		}
		sent = append(sent, res.Sent)
	}
	if sent[4] != 2 || slices.Max(sent) != 2 || slices.Min(sent) < 1 {
		t.Fatalf("sent = %v, want the 2 connections in the cluster", sent)
	}
	a0.expect(t, seqs(1, 5)...)
	last := a1.expect(t, seqs(1, 5)...)

	// The app on node 1 goes away after seq 5; more arrive on other
	// nodes; it comes back through node 2 and resumes there.
	a1.ws.Close()
	for i := 6; i <= 9; i++ {
		dispatch(t, ps[i%2], "ann", i)
	}
	a0.expect(t, seqs(6, 9)...)
	back, err := dialApp(t, ps[2].url(), "ann", time.Now(), &protocol.Resume{Epoch: last.Epoch, Seq: last.Seq})
	if err != nil {
		t.Fatal(err)
	}
	if back.replay != 4 {
		t.Fatalf("replay = %d, want 4", back.replay)
	}
	back.expect(t, seqs(6, 9)...)
	dispatch(t, ps[0], "ann", 10)
	back.expect(t, 10)

	// Health names the node, its NATS connection and the other nodes.
	h, err := protocol.NewClient(ps[0].socket).Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.Node != "gw-0" || h.Cluster == nil || h.Cluster.NATS != "CONNECTED" || len(h.Cluster.Nodes) != 3 || h.Connections != 1 {
		t.Fatalf("health: %+v %+v", h, h.Cluster)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"health", "--socket", ps[1].socket}, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "node: gw-1") || !strings.Contains(out.String(), "nats: CONNECTED") ||
		!strings.Contains(out.String(), "gw-2") {
		t.Fatalf("ws-gateway health: %d %q %q", code, out.String(), errb.String())
	}
}

func TestClusterRevokeAndConnectionLimitAcrossNodes(t *testing.T) {
	_, ps := startNodes(t, 3)
	issued := time.Now().Add(-time.Hour)
	var apps []*app
	for k := range 5 {
		a, err := dialApp(t, ps[k%3].url(), "bo", issued, nil)
		if err != nil {
			t.Fatalf("connection %d: %v", k+1, err)
		}
		apps = append(apps, a)
	}
	for i, p := range ps {
		if _, err := dialApp(t, p.url(), "bo", issued, nil); err == nil || !strings.Contains(err.Error(), "too many connections") {
			t.Fatalf("a sixth connection on node %d: %v", i, err)
		}
	}
	// Revoked through node 2: every node closes its connections within 1 s.
	start := time.Now()
	if _, err := protocol.NewClient(ps[2].socket).Revoke(context.Background(), "bo", time.Now().Add(-time.Minute).Unix()); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	for i, a := range apps {
		select {
		case <-a.ended:
		case <-time.After(time.Second - time.Since(start)):
			t.Fatalf("connection %d (node %d) still open 1 s after the revoke", i+1, i%3)
		}
		if a.authErr != protocol.ErrTokenRevoked.Error() {
			t.Fatalf("connection %d got %q, want the revocation", i+1, a.authErr)
		}
	}
	t.Logf("five connections on three nodes closed %v after the revoke", time.Since(start))
	// Their places are free again, for tokens issued after the cutoff. A
	// place is given back (in the connections bucket) once the node has
	// closed the connection, which the app may see first: wait for it.
	for k := range 5 {
		deadline := time.Now().Add(2 * time.Second)
		for {
			_, err := dialApp(t, ps[k%3].url(), "bo", time.Now(), nil)
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "too many connections") || time.Now().After(deadline) {
				t.Fatalf("connection %d after the revoke: %v", k+1, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestClusterKill9OfANodeLosesNoAcknowledgedDispatch(t *testing.T) {
	_, ps := startNodes(t, 3)
	var acked natstest.Acked
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 { // one dispatcher per node, node 0's included
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := protocol.NewClient(ps[w].socket)
			defer c.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Dispatch(context.Background(), "cy", protocol.Notification{ID: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					if w != 0 {
						t.Errorf("dispatch on a live node: %v", err)
						return
					}
					time.Sleep(10 * time.Millisecond) // node 0 is dead: not acknowledged
					continue
				}
				acked.Add(t, res.Seq, 0)
			}
		}()
	}
	count := acked.Count
	a, err := dialApp(t, ps[0].url(), "cy", time.Now(), &protocol.Resume{})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	var epoch string
	acked.WaitCount(40)
	ps[0].cmd.Process.Signal(syscall.SIGKILL)
	for f := range a.frames {
		got, epoch = append(got, f.Seq), f.Epoch
	}
	ps[0].cmd.Wait()
	// The app reconnects to another node and resumes from what it saw.
	resume := &protocol.Resume{Epoch: epoch}
	if len(got) > 0 {
		resume.Seq = got[len(got)-1]
	}
	b, err := dialApp(t, ps[1].url(), "cy", time.Now(), resume)
	if err != nil {
		t.Fatal(err)
	}
	acked.WaitCount(count() + 40)
	close(stop)
	wg.Wait()
	// A dispatch node 0 stored but died before answering is stored, not
	// acknowledged: the app gets it too. Every acknowledged one, and no
	// seq twice or out of order.
	top := acked.Top()
	for len(got) == 0 || got[len(got)-1] < top {
		select {
		case f := <-b.frames:
			got = append(got, f.Seq)
		case <-time.After(10 * time.Second):
			t.Fatalf("received up to %v, acknowledged up to %d", got[max(0, len(got)-1):], top)
		}
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("received seqs %v: gap, duplicate or disorder at %d", got, i)
		}
	}
	total := acked.Count()
	t.Logf("%d acknowledged across a kill -9 of node 0, received once each, in order", total)
}

func TestClusterWithoutNATSRefusesDispatchesAndCatchesUp(t *testing.T) {
	nc, ps := startNodes(t, 2)
	a, err := dialApp(t, ps[1].url(), "di", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dispatch(t, ps[0], "di", 1)
	a.expect(t, 1)
	nc.Shutdown()
	c := protocol.NewClient(ps[0].socket)
	defer c.Close()
	start := time.Now()
	_, err = c.Dispatch(context.Background(), "di", protocol.Notification{ID: "lost"})
	var se *protocol.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable {
		t.Fatalf("dispatch without NATS: %v, want 503", err)
	}
	t.Logf("refused with 503 after %v: %v", time.Since(start), err)
	h, err := protocol.NewClient(ps[0].socket).Health(context.Background())
	if err != nil || h.Status != "degraded" || h.Cluster.NATS == "CONNECTED" {
		t.Fatalf("health without NATS: %+v %v", h, err)
	}
	for i := range 3 {
		nc.Restart(i)
	}
	nc.WaitReady()
	// The app stayed connected to node 1 and gets what is dispatched
	// once NATS is back; the refused dispatch was not stored.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := c.Dispatch(context.Background(), "di", protocol.Notification{ID: "back"})
		if err == nil {
			if res.Seq != 2 {
				t.Fatalf("seq after the outage = %d, want 2", res.Seq)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dispatch after NATS came back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	a.expect(t, 2)
}

func TestClusterSIGTERMDrainsWith1012(t *testing.T) {
	_, ps := startNodes(t, 2)
	a, err := dialApp(t, ps[0].url(), "ed", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// An app of the same user on the node that stays sees every
	// acknowledged dispatch, also those in flight during the drain.
	watch, err := dialApp(t, ps[1].url(), "ed", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dispatch(t, ps[0], "ed", 1)
	f := a.expect(t, 1)
	watch.expect(t, 1)
	var acked []uint64
	done := make(chan struct{})
	go func() { // dispatches to the draining node until it is gone
		defer close(done)
		c := protocol.NewClient(ps[0].socket)
		defer c.Close()
		for i := 2; ; i++ {
			res, err := c.Dispatch(context.Background(), "ed", protocol.Notification{ID: fmt.Sprint("n", i)})
			if err != nil {
				return
			}
			acked = append(acked, res.Seq)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	ps[0].cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-a.ended:
		if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
			t.Fatalf("close = %v, want 1012", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not closed after SIGTERM")
	}
	if err := ps[0].cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, ps[0].out)
	}
	<-done
	if len(acked) == 0 {
		t.Fatal("no dispatch was acknowledged while draining")
	}
	last := acked[len(acked)-1]
	watch.expect(t, seqs(2, last)...)
	// The other node takes the drained app and what comes next.
	res := dispatch(t, ps[1], "ed", 0)
	b, err := dialApp(t, ps[1].url(), "ed", time.Now(), &protocol.Resume{Epoch: f.Epoch, Seq: f.Seq})
	if err != nil {
		t.Fatal(err)
	}
	b.expect(t, seqs(2, res.Seq)...)
	t.Logf("%d dispatches acknowledged by the draining node, all delivered", len(acked))
}

func TestClusterUnreachableNATSStopsTheStart(t *testing.T) {
	var out, errb bytes.Buffer
	env := []string{"DESKTOP_JWT_SECRET=" + secret, "WS_GATEWAY_PORT=0",
		"WS_DISPATCH_SOCKET=" + t.TempDir() + "/ws.sock",
		"WS_GATEWAY_NATS_URL=nats://gw:hunter2@127.0.0.1:1", "WS_GATEWAY_NODE=gw-x"}
	if code := run([]string{"serve"}, env, &out, &errb); code != 1 || !strings.Contains(errb.String(), "WS_GATEWAY_NATS_URL") ||
		!strings.Contains(errb.String(), "nats://***@127.0.0.1:1") {
		t.Fatalf("serve with an unreachable NATS: exit %d, %q", code, errb.String())
	}
	if strings.Contains(errb.String(), "hunter2") {
		t.Fatalf("the error shows the NATS password: %q", errb.String())
	}
}

// From one machine to the cluster: the history moves with its epoch and
// seqs, so an app resumes on a node where it left off on the single gateway.
func TestMigrateFromOneMachineToTheCluster(t *testing.T) {
	single := newProc(t)
	single.start(t)
	a, err := dialApp(t, single.url(), "fy", time.Now(), &protocol.Resume{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		dispatch(t, single, "fy", i)
	}
	seen := a.expect(t, 1, 2) // the app saw two, then went offline
	a.ws.Close()
	c := protocol.NewClient(single.socket)
	if _, err := c.Revoke(context.Background(), "gus", 1000); err != nil {
		t.Fatal(err)
	}
	single.cmd.Process.Signal(syscall.SIGTERM)
	single.cmd.Wait()

	nc := natstest.Start(t, 3)
	env := []string{"DESKTOP_JWT_SECRET=" + secret, "WS_GATEWAY_STATE_DIR=" + single.state,
		"WS_GATEWAY_NATS_URL=" + nc.URLs(), "WS_GATEWAY_NODE=gw-0"}
	// The NATS client's callbacks may still log after migrate returns.
	var out, errb gatewaytest.LogBuffer
	if code := run([]string{"migrate"}, env, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "1 users, 4 notifications copied (0 there already), 1 revocations") {
		t.Fatalf("migrate: %d %q %q", code, out.String(), errb.String())
	}
	node := startNode(t, nc, 0)
	b, err := dialApp(t, node.url(), "fy", time.Now(), &protocol.Resume{Epoch: seen.Epoch, Seq: seen.Seq})
	if err != nil {
		t.Fatal(err)
	}
	if b.replay != 2 {
		t.Fatalf("replay after migration = %d, want 2", b.replay)
	}
	if f := b.expect(t, 3, 4); f.Epoch != seen.Epoch || f.ID != "n4" {
		t.Fatalf("migrated frame: %+v", f)
	}
	if res := dispatch(t, node, "fy", 5); res.Seq != 5 {
		t.Fatalf("first dispatch on the cluster: seq %d, want 5", res.Seq)
	}
	b.expect(t, 5)
	// The revocation came along: a token issued before it is refused.
	if _, err := dialApp(t, node.url(), "gus", time.Unix(999, 0), nil); err == nil {
		t.Fatal("a token revoked on the single gateway is accepted by the cluster")
	}
}

// kill -9 of the NATS server that leads the history stream, mid-stream:
// with real nats-server processes, so nothing is handed over. Dispatches
// wait for the election and are stored; none fails, none is lost or doubled.
func TestClusterKill9OfTheStreamLeadersNATSServer(t *testing.T) {
	bin, err := testbin.Build(t.TempDir(), "github.com/nats-io/nats-server/v2")
	if err != nil {
		t.Fatal(err)
	}
	procs := natstest.StartProcs(t, bin, 3)
	ps := []*proc{startNodeOn(t, procs.URLs(), 0), startNodeOn(t, procs.URLs(), 1)}
	a, err := dialApp(t, ps[1].url(), "hal", time.Now(), &protocol.Resume{})
	if err != nil {
		t.Fatal(err)
	}
	var acked natstest.Acked
	var refused atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := protocol.NewClient(ps[w].socket)
			defer c.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				res, err := c.Dispatch(context.Background(), "hal", protocol.Notification{ID: fmt.Sprintf("w%d-%d", w, i)})
				var se *protocol.StatusError
				if errors.As(err, &se) && se.Status == http.StatusServiceUnavailable {
					// An election longer than the node's 9 s wait: not
					// acknowledged, as the dispatcher is told; it sends again.
					refused.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("dispatch on node %d after %v: %v", w, time.Since(start), err)
					return
				}
				acked.Add(t, res.Seq, time.Since(start))
			}
		}()
	}
	count := acked.Count
	acked.WaitCount(40)
	leader := procs.StreamLeader("ALERTS_HISTORY")
	procs.Kill9(leader)
	killed := time.Now()
	before := count()
	for deadline := time.Now().Add(40 * time.Second); count() < before+60 && time.Now().Before(deadline) && !t.Failed(); {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if count() < before+60 {
		t.Fatalf("%d dispatches after the kill", count()-before)
	}
	// Every acknowledged seq reaches the app, in order, once; a refused
	// dispatch may have been stored as the election ended, then it is
	// delivered too, in its place.
	total := acked.Top()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node 1's log:\n%s", ps[1].out)
		}
	})
	a.expect(t, seqs(1, total)...)
	t.Logf("killed nats-%d (the stream leader) after %d dispatches; %d acknowledged, %d refused with 503, the longest waited %v; all delivered %v after the kill",
		leader, before, acked.Count(), refused.Load(), acked.Longest(), time.Since(killed))
}

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/internal/testusers"
)

// Cluster mode (fanout.go) keeps the embedded store's guarantees where
// they apply: the same tests, with the gateway a node of a real
// three-server NATS cluster (run in this process).

func inCluster(t *testing.T, o gatewaytest.Options) gatewaytest.Options {
	o.NATS = natstest.Start(t, 3).URLs()
	logOnFailure(t, &o)
	return o
}

// logOnFailure shows the gateway's log when the test failed: a node's
// reasons (a page read that failed, a slow client) are only there.
func logOnFailure(t *testing.T, o *gatewaytest.Options) {
	buf := &gatewaytest.LogBuffer{}
	o.Log = buf
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", buf)
		}
	})
}

// inClusterOfProcesses runs the NATS servers as processes of their own:
// for a test that measures the gateway's heap, which in-process servers
// (their caches of the stream) would share.
func inClusterOfProcesses(t *testing.T, o gatewaytest.Options) gatewaytest.Options {
	bin, err := testbin.Build(t.TempDir(), "github.com/nats-io/nats-server/v2")
	if err != nil {
		t.Fatal(err)
	}
	o.NATS = natstest.StartProcs(t, bin, 3).URLs()
	logOnFailure(t, &o)
	return o
}

func TestClusterModeKeepsTheGatewaysGuarantees(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, gatewaytest.Options)
		o    gatewaytest.Options
	}{
		{"OfflineDispatchArrivesOnResume", testOfflineDispatchArrivesOnResume, gatewaytest.Options{}},
		{"ResumeSwitchHasNoGapNoDuplicate", testResumeSwitch, gatewaytest.Options{HistoryLimit: 1000}},
		{"ReplayLongerThanSendQueue", testReplayLongerThanSendQueue, gatewaytest.Options{SendQueue: 8, HistoryLimit: 100}},
		{"PagedReplayWhileDispatchingHasNoGapNoDuplicate", testPagedReplayWhileDispatchingHasNoGapNoDuplicate, gatewaytest.Options{HistoryLimit: 1000, SendQueue: 1024}},
		{"ResumeBeyondTheLastSeqReplaysNothing", testResumeBeyondTheLastSeqReplaysNothing, gatewaytest.Options{}},
		{"ResumeFromAForeignHistoryFiltersNothing", testResumeFromAForeignHistoryFiltersNothing, gatewaytest.Options{}},
		{"DispatchFrameOverMaxFrameBytesIs413AndNotStored", testDispatchFrameOverMaxFrameBytesIs413AndNotStored, gatewaytest.Options{}},
		{"UntrustedCallerMayOnlyDispatchToItself", testUntrustedCallerMayOnlyDispatchToItself, gatewaytest.Options{}},
		{"AckFromOneConnectionReachesBoth", testAckFromOneConnectionReachesBoth, gatewaytest.Options{}},
		{"AckOnDispatchSocket", testAckOnDispatchSocket, gatewaytest.Options{}},
		{"AckFrameCannotAckAnotherUsersAlert", testAckFrameCannotAckAnotherUsersAlert, gatewaytest.Options{}},
		{"UntrustedCallerMayOnlyAckItsOwnAlerts", testUntrustedCallerMayOnlyAckItsOwnAlerts, gatewaytest.Options{}},
		{"RecentAlerts", testRecentAlerts, gatewaytest.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, inCluster(t, tc.o)) })
	}
	t.Run("ReplayToClientsThatDoNotReadIsBounded", func(t *testing.T) {
		testReplayToClientsThatDoNotReadIsBounded(t, inClusterOfProcesses(t, gatewaytest.Options{}))
	})
}

// A node without NATS checks who is calling first: an analyst's dispatch
// to someone else, and anything but a dispatch, are still 403; only what
// the caller may do is answered 503, with the code a program acts on.
// /health names the history's epoch, the one the frames carry.
func TestClusterModeWithoutNATSChecksTheCallerBefore503(t *testing.T) {
	nc := natstest.Start(t, 3)
	gw := gatewaytest.Start(t, gatewaytest.Options{NATS: nc.URLs()})
	openToEveryone(t, gw)
	live := authed(t, gw, "petr", nil)
	dispatch(t, gw, "petr", map[string]any{"title": "one"})
	m := live.nextOfType(protocol.TypeNotification, 10*time.Second)
	h, err := gw.Client().Health(t.Context())
	if err != nil || h.Epoch == "" || h.Epoch != m["epoch"] || h.Node == "" {
		t.Fatalf("health %+v, %v; want the frames' epoch %v and the node", h, err, m["epoch"])
	}
	epoch := h.Epoch

	nc.Shutdown()
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/dispatch", `{"user":"petr","notification":{"title":"not yours"}}`},
		{"POST", "/revoke", `{"user":"petr","not_before":` + strconv.FormatInt(time.Now().Unix()+1, 10) + `}`},
		{"GET", "/health", ""},
		{"POST", "/ack", `{"user":"petr","id":"n1"}`},
		{"GET", "/notification?user=petr&id=n1", ""},
		{"GET", "/recent?user=petr", ""},
	} {
		status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, r.method, r.path, r.body)
		if status != http.StatusForbidden || !strings.Contains(body, `"code":"forbidden"`) {
			t.Errorf("nobody %s %s without NATS: %d %.200s, want 403 forbidden", r.method, r.path, status, body)
		}
	}
	status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/dispatch", `{"user":"nobody","notification":{"title":"mine"}}`)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"`+protocol.CodeUnavailable+`"`) {
		t.Errorf("nobody dispatching to itself without NATS: %d %s, want 503 %s", status, body, protocol.CodeUnavailable)
	}
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/dispatch", `{"user":"petr","notification":{"title":"lost"}}`},
		{"POST", "/revoke", `{"user":"petr","not_before":` + strconv.FormatInt(time.Now().Unix()+1, 10) + `}`},
		{"POST", "/ack", `{"user":"petr","id":"n1"}`},
		{"GET", "/notification?user=petr&id=n1", ""},
		{"GET", "/recent?user=petr", ""},
	} {
		status, res, raw := rawHTTP(t, gw.Socket, r.method, r.path, r.body)
		if status != http.StatusServiceUnavailable || res["code"] != protocol.CodeUnavailable {
			t.Errorf("trusted %s %s without NATS: %d %s, want 503 %s", r.method, r.path, status, raw, protocol.CodeUnavailable)
		}
	}
	h, err = gw.Client().Health(t.Context())
	if err != nil || h.Status != "degraded" || h.Epoch != epoch {
		t.Fatalf("health without NATS: %+v, %v; want degraded with epoch %s", h, err, epoch)
	}
}

// Acknowledgements across two gateway nodes of one NATS cluster: an ack
// on node A reaches the user's app on node B; acks of one alert racing on
// both nodes store one event; an app resuming on the other node after the
// ack is told of it once, in order.
func TestClusterModeAckAcrossNodes(t *testing.T) {
	nc := natstest.Start(t, 3)
	oa := gatewaytest.Options{NATS: nc.URL(0), Node: "node-a"}
	ob := gatewaytest.Options{NATS: nc.URL(1), Node: "node-b"}
	logOnFailure(t, &oa)
	logOnFailure(t, &ob)
	gwA, gwB := gatewaytest.Start(t, oa), gatewaytest.Start(t, ob)
	ctx := context.Background()

	onB := authed(t, gwB, "petr", nil)
	dispatch(t, gwA, "petr", protocol.Notification{ID: "n1", Title: "Revenue dropped"})
	m := onB.nextOfType(protocol.TypeNotification, 10*time.Second)
	epoch, _ := m["epoch"].(string)
	if m["id"] != "n1" || seqOf(t, m) != 1 || epoch == "" {
		t.Fatalf("notification on node B: %v", m)
	}
	if res, err := gwA.Client().Ack(ctx, "petr", "n1", protocol.ViaTelegram); err != nil || !res.Acked || res.Seq != 2 {
		t.Fatalf("ack on node A: %+v %v", res, err)
	}
	if m := onB.nextOfType(protocol.TypeAcked, 10*time.Second); m["id"] != "n1" || m["via"] != protocol.ViaTelegram || seqOf(t, m) != 2 || m["epoch"] != epoch {
		t.Fatalf("acked frame on node B: %v", m)
	}
	// Node B reads the ack node A stored.
	if st, err := gwB.Client().Notification(ctx, "petr", "n1"); err != nil || !st.Acked() || *st.AckedVia != protocol.ViaTelegram || st.Seq != 1 {
		t.Fatalf("state of n1 on node B: %+v %v", st, err)
	}

	// Racing acks of each alert, half through each node: one stores.
	const alerts, perNode = 5, 3
	for i := range alerts {
		dispatch(t, gwA, "petr", protocol.Notification{ID: fmt.Sprintf("r%d", i)})
	}
	clients := []*protocol.Client{gwA.Client(), gwB.Client()}
	var wg sync.WaitGroup
	stored := make([]atomic.Int32, alerts)
	for i := range alerts {
		for _, c := range clients {
			for range perNode {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := c.Ack(ctx, "petr", fmt.Sprintf("r%d", i), protocol.ViaWeb)
					if err != nil {
						t.Errorf("racing ack of r%d: %v", i, err)
						return
					}
					if res.Acked {
						stored[i].Add(1)
					}
				}()
			}
		}
	}
	wg.Wait()
	for i := range alerts {
		if got := stored[i].Load(); got != 1 {
			t.Errorf("r%d: %d acks answered acked:true, want 1", i, got)
		}
	}
	// History: n1, its ack, r0..r4 and one ack each: 2+2*alerts records,
	// so the next dispatch takes the seq after them.
	last := uint64(2 + 2*alerts)
	if res := dispatch(t, gwB, "petr", protocol.Notification{ID: "after"}); res.Seq != last+1 {
		t.Fatalf("dispatch after the racing acks: seq %d, want %d (one event per alert)", res.Seq, last+1)
	}
	// The app on node B got every record once, in order: the alerts, one
	// acked frame each, then the last dispatch.
	acked := map[string]int{}
	for seq := uint64(3); seq <= last+1; seq++ {
		m := onB.next(10 * time.Second)
		if m["type"] == protocol.TypePing {
			seq--
			continue
		}
		if seqOf(t, m) != seq {
			t.Fatalf("node B's app: got %v, want seq %d", m, seq)
		}
		if m["type"] == protocol.TypeAcked {
			acked[m["id"].(string)]++
		}
	}
	if len(acked) != alerts {
		t.Fatalf("acked frames on node B: %v, want one per alert", acked)
	}

	// An app that had n1 (seq 1) resumes on node A: n1's ack comes once,
	// then the rest in order, nothing twice.
	resumed := authed(t, gwA, "petr", &protocol.Resume{Epoch: epoch, Seq: 1})
	if m := resumed.nextOfType(protocol.TypeAcked, 10*time.Second); m["id"] != "n1" || seqOf(t, m) != 2 {
		t.Fatalf("replayed ack on node A: %v", m)
	}
	for seq := uint64(3); seq <= last+1; seq++ {
		m := resumed.next(10 * time.Second)
		if m["type"] == protocol.TypePing {
			seq--
			continue
		}
		if seqOf(t, m) != seq {
			t.Fatalf("resumed on node A: got %v, want seq %d", m, seq)
		}
	}
	// An app resuming after the ack is not told again: its first frame is
	// the next notification.
	after := authed(t, gwA, "petr", &protocol.Resume{Epoch: epoch, Seq: 2})
	if m := after.nextOfType(protocol.TypeNotification, 10*time.Second); seqOf(t, m) != 3 {
		t.Fatalf("resume after the ack: %v", m)
	}
	// A second ack of n1 on node B stores nothing.
	if res, err := gwB.Client().Ack(ctx, "petr", "n1", protocol.ViaWeb); err != nil || res.Acked {
		t.Fatalf("second ack of n1 on node B: %+v %v", res, err)
	}
	if res := dispatch(t, gwA, "petr", protocol.Notification{ID: "last"}); res.Seq != last+2 {
		t.Fatalf("dispatch after the repeated ack: seq %d, want %d", res.Seq, last+2)
	}
}

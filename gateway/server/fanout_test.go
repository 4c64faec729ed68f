package server_test

import (
	"net/http"
	"strconv"
	"strings"
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
	for _, r := range []struct{ path, body string }{
		{"/dispatch", `{"user":"petr","notification":{"title":"lost"}}`},
		{"/revoke", `{"user":"petr","not_before":` + strconv.FormatInt(time.Now().Unix()+1, 10) + `}`},
	} {
		status, res, raw := rawHTTP(t, gw.Socket, "POST", r.path, r.body)
		if status != http.StatusServiceUnavailable || res["code"] != protocol.CodeUnavailable {
			t.Errorf("trusted POST %s without NATS: %d %s, want 503 %s", r.path, status, raw, protocol.CodeUnavailable)
		}
	}
	h, err = gw.Client().Health(t.Context())
	if err != nil || h.Status != "degraded" || h.Epoch != epoch {
		t.Fatalf("health without NATS: %+v, %v; want degraded with epoch %s", h, err, epoch)
	}
}

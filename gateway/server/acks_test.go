package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testusers"
)

// POST /notifications/acks answers each notification as GET /notification
// would alone, in the order asked: found (with its seq and
// acknowledgement), not in the history, and, for an analyst's uid, another
// user's as forbidden while its own are answered.
func TestNotificationAcks(t *testing.T) { testNotificationAcks(t, gatewaytest.Options{}) }

func TestNotificationAcksInCluster(t *testing.T) {
	testNotificationAcks(t, inCluster(t, gatewaytest.Options{}))
}

func testNotificationAcks(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	openToEveryone(t, gw)
	ctx := context.Background()
	gc := gw.Client()
	defer gc.Close()
	dispatch(t, gw, "petr", protocol.Notification{ID: "a"})
	dispatch(t, gw, "petr", protocol.Notification{ID: "b"})
	dispatch(t, gw, "jana", protocol.Notification{ID: "a"})
	dispatch(t, gw, "petr", protocol.Notification{ID: "a", Repeat: true}) // a repeat: seq 3
	dispatch(t, gw, "nobody", protocol.Notification{ID: "mine"})
	if _, err := gc.Ack(ctx, "petr", "b", protocol.ViaTelegram); err != nil {
		t.Fatal(err)
	}
	if _, err := gc.Ack(ctx, "jana", "a", protocol.ViaWeb); err != nil {
		t.Fatal(err)
	}

	qs := []protocol.AckQuery{{User: "petr", ID: "a"}, {User: "petr", ID: "b"}, {User: "jana", ID: "a"},
		{User: "petr", ID: "gone"}, {User: "nobody", ID: "mine"}, {User: "someone", ID: "a"}}
	got, err := gc.NotificationAcks(ctx, qs)
	if err != nil || len(got) != len(qs) {
		t.Fatalf("acks: %+v %v", got, err)
	}
	// Each answer is what GET /notification says of it alone.
	for i, q := range qs {
		st, err := gc.Notification(ctx, q.User, q.ID)
		want := protocol.AckState{Status: protocol.AckStateNotFound}
		if err == nil {
			want = protocol.StateOfNotification(st)
		} else if !protocol.IsNotFound(err) {
			t.Fatal(err)
		}
		if g, w := js(got[i]), js(want); g != w {
			t.Errorf("%+v: batch %s, alone %s", q, g, w)
		}
	}
	if got[0].Seq != 3 || got[0].Acked() || !got[1].Acked() || *got[1].AckedVia != protocol.ViaTelegram ||
		*got[2].AckedVia != protocol.ViaWeb || got[3].Status != protocol.AckStateNotFound || got[4].Status != protocol.AckStateOK {
		t.Fatalf("states: %s", js(got))
	}

	// An analyst's uid: its own answered, petr's forbidden, one by one.
	body := `{"notifications":[{"user":"petr","id":"a"},{"user":"nobody","id":"mine"},{"user":"nobody","id":"x"}]}`
	status, raw := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", protocol.PathNotificationAcks, body)
	var res protocol.AckStates
	if status != 200 || json.Unmarshal([]byte(raw), &res) != nil || len(res.Notifications) != 3 {
		t.Fatalf("nobody's batch: %d %s", status, raw)
	}
	if s := res.Notifications; s[0].Status != protocol.AckStateForbidden || s[0].Seq != 0 || s[0].AckedAt != nil ||
		s[1].Status != protocol.AckStateOK || s[1].Seq == 0 || s[2].Status != protocol.AckStateNotFound {
		t.Fatalf("nobody's batch: %s", raw)
	}
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// Bad requests get a clear error and nothing else: a malformed list or
// query is 400 naming it, a list over MaxAckQueries or a body over 1 MiB
// is 413, another method 405; an empty list is an empty answer.
func TestNotificationAcksErrors(t *testing.T) {
	padTo := func(body string, n int) string { return body + strings.Repeat(" ", n-len(body)) }
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	many := func(n int, id string) string {
		qs := make([]protocol.AckQuery, n)
		for i := range qs {
			qs[i] = protocol.AckQuery{User: "petr", ID: id}
		}
		return js(protocol.AckQueries{Notifications: qs})
	}
	for _, tc := range []struct {
		name, method, body string
		status             int
		says               string
	}{
		{"bad json", "POST", `{"notifications":[`, 400, "invalid JSON"},
		{"no list", "POST", `{}`, 400, `missing \"notifications\"`},
		{"not a list", "POST", `{"notifications":{"user":"petr"}}`, 400, "invalid JSON"},
		{"no user", "POST", `{"notifications":[{"user":"petr","id":"a"},{"id":"a"}]}`, 400, "notifications[1]: missing user"},
		{"no id", "POST", `{"notifications":[{"user":"petr"}]}`, 400, "notifications[0]: missing id"},
		{"long id", "POST", many(1, strings.Repeat("x", protocol.MaxIDBytes+1)), 400, "notifications[0]: id must be"},
		{"too many", "POST", many(protocol.MaxAckQueries+1, "a"), 413, fmt.Sprintf("at most %d notifications per request, not %d", protocol.MaxAckQueries, protocol.MaxAckQueries+1)},
		// A byte over the limit: the socket reads a body up to 256 KiB over
		// it to answer 413; beyond that it closes, as net/http did.
		{"body too large", "POST", padTo(many(protocol.MaxAckQueries, "a"), protocol.MaxDispatchBytes+1), 413, "larger than 1048576 bytes"},
		{"wrong method", "GET", "", 405, "takes POST"},
		{"empty list", "POST", `{"notifications":[]}`, 200, `{"notifications":[]}`},
		{"most", "POST", many(protocol.MaxAckQueries, "a"), 200, `{"status":"not_found","acked_at":null,"acked_via":null}`},
	} {
		status, m, raw := rawHTTP(t, gw.Socket, tc.method, protocol.PathNotificationAcks, tc.body)
		if status != tc.status || !strings.Contains(raw, tc.says) {
			t.Errorf("%s: %d %.300s; want %d saying %q", tc.name, status, raw, tc.status, tc.says)
		}
		if status != 200 && m["code"] == nil {
			t.Errorf("%s: no code in %s", tc.name, raw)
		}
	}
}

// The client splits a list longer than one request may carry, and keeps
// the order.
func TestNotificationAcksClientSplits(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{HistoryLimit: 3000})
	gc := gw.Client()
	defer gc.Close()
	var qs []protocol.AckQuery
	for i := range 2*protocol.MaxAckQueries + 5 {
		id := fmt.Sprint("n", i)
		if i%2 == 0 {
			dispatch(t, gw, "petr", protocol.Notification{ID: id})
		}
		qs = append(qs, protocol.AckQuery{User: "petr", ID: id})
	}
	got, err := gc.NotificationAcks(context.Background(), qs)
	if err != nil || len(got) != len(qs) {
		t.Fatalf("%d states, %v", len(got), err)
	}
	for i, s := range got {
		if want := map[bool]string{true: protocol.AckStateOK, false: protocol.AckStateNotFound}[i%2 == 0]; s.Status != want {
			t.Fatalf("state %d: %+v, want %s", i, s, want)
		}
	}
}

// GET /epoch answers the epoch /health names, to trusted callers only as
// /health; it changes when the database is lost.
func TestEpochEndpoint(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	openToEveryone(t, gw)
	ctx := context.Background()
	gc := gw.Client()
	defer gc.Close()
	h, err := gc.Health(ctx)
	if err != nil || h.Epoch == "" {
		t.Fatal(h, err)
	}
	e, err := gc.Epoch(ctx)
	if err != nil || e != h.Epoch {
		t.Fatalf("epoch %q %v; /health says %q", e, err, h.Epoch)
	}
	if status, raw := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "GET", protocol.PathEpoch, ""); status != http.StatusForbidden ||
		!strings.Contains(raw, `"code":"forbidden"`) {
		t.Fatalf("nobody: %d %s", status, raw)
	}
	if status, _, raw := rawHTTP(t, gw.Socket, "POST", protocol.PathEpoch, ""); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d %s", status, raw)
	}
	gw.RestartLosingState(t)
	if e2, err := gc.Epoch(ctx); err != nil || e2 == e || e2 == "" {
		t.Fatalf("after the database was lost: %q %v (was %q)", e2, err, e)
	}
}

package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testusers"
)

// An ack frame from one of a user's two connections is stored under the
// next seq and reaches both (the sender too, so every device clears it the
// same way).
func TestAckFromOneConnectionReachesBoth(t *testing.T) {
	testAckFromOneConnectionReachesBoth(t, gatewaytest.Options{})
}

func testAckFromOneConnectionReachesBoth(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	a := authed(t, gw, "petr", &protocol.Resume{})
	b := authed(t, gw, "petr", &protocol.Resume{})
	dispatch(t, gw, "petr", protocol.Notification{ID: "n1", Title: "Revenue dropped"})
	for _, c := range []*wsClient{a, b} {
		if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); m["id"] != "n1" {
			t.Fatalf("notification: %v", m)
		}
	}
	a.send(protocol.AckFrame{Type: protocol.TypeAck, ID: "n1"})
	var epoch string
	for i, c := range []*wsClient{a, b} {
		m := c.nextOfType(protocol.TypeAcked, 5*time.Second)
		if m["id"] != "n1" || seqOf(t, m) != 2 || m["via"] != protocol.ViaDesktop || m["epoch"] == "" {
			t.Fatalf("connection %d: acked frame %v", i, m)
		}
		if _, err := time.Parse(time.RFC3339, m["at"].(string)); err != nil {
			t.Fatalf("acked at: %v", err)
		}
		epoch = m["epoch"].(string)
	}
	// A second ack (the other device, late) stores nothing: the next
	// frame either connection sees is the next notification, seq 3.
	b.send(protocol.AckFrame{Type: protocol.TypeAck, ID: "n1"})
	st, err := gw.Client().Notification(context.Background(), "petr", "n1")
	if err != nil || !st.Acked() || *st.AckedVia != protocol.ViaDesktop || st.Seq != 1 {
		t.Fatalf("state after ack: %+v %v", st, err)
	}
	dispatch(t, gw, "petr", protocol.Notification{ID: "n2"})
	for _, c := range []*wsClient{a, b} {
		if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); seqOf(t, m) != 3 {
			t.Fatalf("after the repeated ack: %v", m)
		}
	}
	// A device that was away resumes after the notification and is told
	// of the ack in order, and one that resumes after the ack is not told
	// again.
	c := authed(t, gw, "petr", &protocol.Resume{Epoch: epoch, Seq: 1})
	if m := c.nextOfType(protocol.TypeAcked, 5*time.Second); m["id"] != "n1" || seqOf(t, m) != 2 {
		t.Fatalf("replayed ack: %v", m)
	}
	if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); seqOf(t, m) != 3 {
		t.Fatalf("after the replayed ack: %v", m)
	}
	c = authed(t, gw, "petr", &protocol.Resume{Epoch: epoch, Seq: 2})
	if m := c.nextOfType(protocol.TypeNotification, 5*time.Second); seqOf(t, m) != 3 {
		t.Fatalf("resume after the ack: %v", m)
	}
}

// POST /ack and GET /notification on the dispatch socket: the first ack
// stores an event, a second is 200 acked:false, an unknown id is 404.
func TestAckOnDispatchSocket(t *testing.T) { testAckOnDispatchSocket(t, gatewaytest.Options{}) }

func testAckOnDispatchSocket(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	live := authed(t, gw, "petr", nil)
	dispatch(t, gw, "petr", protocol.Notification{ID: "n1", Title: "t"})
	live.nextOfType(protocol.TypeNotification, 5*time.Second)

	status, _, raw := rawHTTP(t, gw.Socket, "GET", "/notification?user=petr&id=n1", "")
	if status != 200 || raw != `{"id":"n1","seq":1,"acked_at":null,"acked_via":null}`+"\n" {
		t.Fatalf("GET /notification before the ack: %d %s", status, raw)
	}
	status, m, raw := rawHTTP(t, gw.Socket, "POST", "/ack", `{"user":"petr","id":"n1","via":"telegram"}`)
	if status != 200 || m["acked"] != true || m["seq"] != 2.0 {
		t.Fatalf("POST /ack: %d %s", status, raw)
	}
	if f := live.nextOfType(protocol.TypeAcked, 5*time.Second); f["id"] != "n1" || f["via"] != "telegram" || seqOf(t, f) != 2 {
		t.Fatalf("acked frame: %v", f)
	}
	status, _, raw = rawHTTP(t, gw.Socket, "POST", "/ack", `{"user":"petr","id":"n1","via":"web"}`)
	if status != 200 || raw != `{"acked":false}`+"\n" {
		t.Fatalf("second POST /ack: %d %s", status, raw)
	}
	st, err := gw.Client().Notification(context.Background(), "petr", "n1")
	if err != nil || st.Seq != 1 || *st.AckedVia != "telegram" {
		t.Fatalf("state: %+v %v", st, err)
	}
	if _, err := time.Parse(time.RFC3339, *st.AckedAt); err != nil {
		t.Fatalf("acked_at %q: %v", *st.AckedAt, err)
	}

	for _, r := range []struct{ method, path, body string }{
		{"POST", "/ack", `{"user":"petr","id":"nope"}`},
		{"POST", "/ack", `{"user":"anna","id":"n1"}`}, // petr's id is not in anna's history
		{"GET", "/notification?user=petr&id=nope", ""},
	} {
		status, m, raw := rawHTTP(t, gw.Socket, r.method, r.path, r.body)
		if status != 404 || m["code"] != protocol.CodeNotFound || m["error"] == "" {
			t.Errorf("%s %s %s: %d %s, want 404", r.method, r.path, r.body, status, raw)
		}
	}
	if _, err := gw.Client().Ack(context.Background(), "petr", "nope", protocol.ViaAPI); !protocol.IsNotFound(err) {
		t.Errorf("client Ack of an unknown id: %v, want a 404", err)
	}
	for _, r := range []struct{ method, path, body, want string }{
		{"POST", "/ack", `{"user":"petr"}`, "missing id"},
		{"POST", "/ack", `{"id":"n1"}`, "missing user"},
		{"POST", "/ack", `{"user":"petr","id":"n1","via":"desktop"}`, "via must be"},
		{"POST", "/ack", `{"user":"petr",`, "invalid JSON"},
		{"GET", "/notification?user=petr", "", "missing id"},
		{"GET", "/ack", "", "takes POST"},
	} {
		status, _, raw := rawHTTP(t, gw.Socket, r.method, r.path, r.body)
		if status/100 != 4 || !strings.Contains(raw, r.want) {
			t.Errorf("%s %s %s: %d %s, want 4xx saying %q", r.method, r.path, r.body, status, raw, r.want)
		}
	}
	// Nothing refused was stored: the next dispatch is seq 3.
	if res := dispatch(t, gw, "petr", protocol.Notification{ID: "n2"}); res.Seq != 3 {
		t.Fatalf("next seq %d, want 3", res.Seq)
	}
}

// An app's ack frame acts only for the user its token names: petr's app
// cannot acknowledge anna's alert, even knowing its id.
func TestAckFrameCannotAckAnotherUsersAlert(t *testing.T) {
	testAckFrameCannotAckAnotherUsersAlert(t, gatewaytest.Options{})
}

func testAckFrameCannotAckAnotherUsersAlert(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	anna := authed(t, gw, "anna", nil)
	petr := authed(t, gw, "petr", nil)
	dispatch(t, gw, "anna", protocol.Notification{ID: "secret-id"})
	anna.nextOfType(protocol.TypeNotification, 5*time.Second)
	petr.send(protocol.AckFrame{Type: protocol.TypeAck, ID: "secret-id"})
	// Then a real ack by anna's own app: the first acked frame anna sees
	// is hers, with seq 2 (petr's stored nothing in anna's history).
	anna.send(protocol.AckFrame{Type: protocol.TypeAck, ID: "secret-id"})
	if m := anna.nextOfType(protocol.TypeAcked, 5*time.Second); seqOf(t, m) != 2 {
		t.Fatalf("anna's ack: %v", m)
	}
	// And petr's history got nothing either: its next notification is seq 1.
	dispatch(t, gw, "petr", protocol.Notification{ID: "p1"})
	if m := petr.nextOfType(protocol.TypeNotification, 5*time.Second); seqOf(t, m) != 1 {
		t.Fatalf("petr after the refused ack: %v", m)
	}
}

// On the dispatch socket an analyst's uid acknowledges and reads only its
// own user's alerts (SO_PEERCRED, as for /dispatch); root (trusted) anyone's.
func TestUntrustedCallerMayOnlyAckItsOwnAlerts(t *testing.T) {
	testUntrustedCallerMayOnlyAckItsOwnAlerts(t, gatewaytest.Options{})
}

func testUntrustedCallerMayOnlyAckItsOwnAlerts(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	openToEveryone(t, gw)
	dispatch(t, gw, "petr", protocol.Notification{ID: "p1"})
	dispatch(t, gw, "nobody", protocol.Notification{ID: "mine"})

	status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/ack", `{"user":"petr","id":"p1"}`)
	if status != 403 || !strings.Contains(body, "may only acknowledge its own user") {
		t.Fatalf("nobody acking petr's alert: %d %s", status, body)
	}
	status, body = testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "GET", "/notification?user=petr&id=p1", "")
	if status != 403 {
		t.Fatalf("nobody reading petr's alert: %d %s", status, body)
	}
	if st, err := gw.Client().Notification(context.Background(), "petr", "p1"); err != nil || st.Acked() {
		t.Fatalf("petr's alert after the refused ack: %+v %v", st, err)
	}
	status, body = testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "GET", "/notification?user=nobody&id=mine", "")
	if status != 200 || !strings.Contains(body, `"acked_at":null`) {
		t.Fatalf("nobody reading its own: %d %s", status, body)
	}
	status, body = testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/ack", `{"user":"nobody","id":"mine"}`)
	if status != 200 || !strings.Contains(body, `"acked":true`) {
		t.Fatalf("nobody acking its own: %d %s", status, body)
	}
	res, err := gw.Client().Ack(context.Background(), "petr", "p1", protocol.ViaWeb)
	if err != nil || !res.Acked {
		t.Fatalf("trusted ack for petr: %+v %v", res, err)
	}
}

// GET /recent: the last alerts, newest first, a repeat counted once with
// its sends, each with its acknowledgement; an analyst reads only its own.
func TestRecentAlerts(t *testing.T) { testRecentAlerts(t, gatewaytest.Options{}) }

func testRecentAlerts(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	openToEveryone(t, gw)
	ctx := context.Background()
	dispatch(t, gw, "petr", protocol.Notification{ID: "a", Title: "first"})
	dispatch(t, gw, "petr", protocol.Notification{ID: "b", Title: "second"})
	dispatch(t, gw, "petr", protocol.Notification{ID: "a", Title: "first"}) // a repeat
	if _, err := gw.Client().Ack(ctx, "petr", "b", protocol.ViaWeb); err != nil {
		t.Fatal(err)
	}
	res, err := gw.Client().Recent(ctx, "petr", 10)
	if err != nil || len(res.Alerts) != 2 {
		t.Fatalf("recent: %+v %v", res, err)
	}
	a, b := res.Alerts[0], res.Alerts[1]
	if a.ID != "a" || a.Seq != 3 || a.Sent != 2 || a.AckedAt != nil || b.ID != "b" || b.Title != "second" || b.AckedVia == nil || *b.AckedVia != "web" {
		t.Fatalf("recent: %+v %+v", a, b)
	}
	if res, _ := gw.Client().Recent(ctx, "petr", 1); len(res.Alerts) != 1 || res.Alerts[0].ID != "a" {
		t.Fatalf("limit 1: %+v", res)
	}
	if status, _, raw := rawHTTP(t, gw.Socket, "GET", "/recent?user=petr&limit=0", ""); status != 400 {
		t.Fatalf("limit 0: %d %s", status, raw)
	}
	if status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "GET", "/recent?user=petr", ""); status != 403 {
		t.Fatalf("nobody reading petr's: %d %s", status, body)
	}
	if status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "GET", "/recent?user=nobody", ""); status != 200 || strings.TrimSpace(body) != `{"alerts":[]}` {
		t.Fatalf("nobody reading its own (none): %d %s", status, body)
	}
}

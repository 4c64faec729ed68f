package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The dashboard lists the signed-in user's recent alerts with their state
// and acknowledges as that user only: another user's id is 404 and
// acknowledges nothing; a second ack is acked:false; cross-site refused.
func TestDashboardAlertsAndAcknowledge(t *testing.T) {
	e := newEnv(t, envOpts{})
	gc := e.gw.Client()
	defer gc.Close()
	ctx := context.Background()
	for _, n := range []struct{ user, id, title string }{{"petr", "p1", "Revenue <b>drop</b>"}, {"anna", "a1", "anna's"}} {
		if _, err := gc.Dispatch(ctx, n.user, protocol.Notification{ID: n.id, Title: n.title}); err != nil {
			t.Fatal(err)
		}
	}
	petr := e.signIn("petr@example.com")
	page := e.do(petr, http.MethodGet, "/dashboard", "", "Accept", "text/html")
	if page.status != 200 || !strings.Contains(string(page.body), `data-id="p1"`) || !strings.Contains(string(page.body), "Revenue &lt;b&gt;drop&lt;/b&gt;") ||
		strings.Contains(string(page.body), "anna&#39;s") || !strings.Contains(string(page.body), "Not acknowledged") {
		t.Fatalf("dashboard: %d %s", page.status, page.body)
	}

	if a := e.do(petr, http.MethodPost, "/dashboard/alerts/ack", `{"id":"a1"}`); a.status != 404 {
		t.Fatalf("petr acking anna's alert: %d %s", a.status, a.body)
	}
	if st, _ := gc.Notification(ctx, "anna", "a1"); st.Acked() {
		t.Fatal("anna's alert was acknowledged by petr")
	}
	if a := e.do(petr, http.MethodPost, "/dashboard/alerts/ack", `{"id":"p1"}`, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); a.status != 403 {
		t.Fatalf("cross-site ack: %d %s", a.status, a.body)
	}
	a := e.do(petr, http.MethodPost, "/dashboard/alerts/ack", `{"id":"p1"}`)
	if a.status != 200 || !strings.Contains(string(a.body), `"acked":true`) || !strings.Contains(string(a.body), `"acked_via":"web"`) {
		t.Fatalf("ack: %d %s", a.status, a.body)
	}
	if a := e.do(petr, http.MethodPost, "/dashboard/alerts/ack", `{"id":"p1"}`); a.status != 200 || !strings.Contains(string(a.body), `"acked":false`) {
		t.Fatalf("second ack: %d %s", a.status, a.body)
	}
	if a := e.do(petr, http.MethodPost, "/dashboard/alerts/ack", `{"id":""}`); a.status != 400 {
		t.Fatalf("empty id: %d %s", a.status, a.body)
	}
	if a := e.do(nil, http.MethodPost, "/dashboard/alerts/ack", `{"id":"p1"}`); a.status != 401 {
		t.Fatalf("signed out: %d %s", a.status, a.body)
	}
	page = e.do(petr, http.MethodGet, "/dashboard", "", "Accept", "text/html")
	if !strings.Contains(string(page.body), "Acknowledged ") || !strings.Contains(string(page.body), "via web") {
		t.Fatalf("dashboard after the ack: %s", page.body)
	}
}

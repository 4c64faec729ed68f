package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/server"
	"github.com/keboola/analyst-alerts/internal/testusers"
)

// The tests run as root, which the gateway trusts. Other callers are real
// processes (curl) run as other users, so the kernel's SO_PEERCRED is what
// the gateway sees, not something a test could fake.

// openToEveryone lets any user reach the test gateway's socket (its folder
// is 0700 and the socket 0770, both root's).
func openToEveryone(t *testing.T, gw *gatewaytest.Gateway) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test runs callers as other users: it needs root (as make test runs it)")
	}
	if err := os.Chmod(filepath.Dir(gw.Socket), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(gw.Socket, 0o777); err != nil {
		t.Fatal(err)
	}
}

func lastSeq(t *testing.T, gw *gatewaytest.Gateway, user string) float64 {
	t.Helper()
	var res map[string]any
	_, _, raw := rawHTTP(t, gw.Socket, "POST", "/dispatch", `{"user":"`+user+`","notification":{"title":"probe"}}`)
	json.Unmarshal([]byte(raw), &res)
	return res["seq"].(float64) - 1
}

func TestUntrustedCallerMayOnlyDispatchToItself(t *testing.T) {
	testUntrustedCallerMayOnlyDispatchToItself(t, gatewaytest.Options{})
}

func testUntrustedCallerMayOnlyDispatchToItself(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	openToEveryone(t, gw)
	live := authed(t, gw, "petr", nil)

	status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/dispatch", `{"user":"nobody","notification":{"title":"mine"}}`)
	if status != 200 || !strings.Contains(body, `"stored":true`) {
		t.Fatalf("nobody dispatching to nobody: %d %s", status, body)
	}
	status, body = testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "POST", "/dispatch",
		`{"user":"petr","notification":{"title":"Run me","script":"../../evil.py"}}`)
	if status != 403 || !strings.Contains(body, "uid 65534 (nobody) may only dispatch to its own user") || !strings.Contains(body, `"code":"forbidden"`) {
		t.Fatalf("nobody dispatching to petr: %d %s, want 403 saying why", status, body)
	}
	if seq := lastSeq(t, gw, "petr"); seq != 0 {
		t.Fatalf("the refused dispatch was stored (petr's last seq %v)", seq)
	}
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/health", ""},
		{"GET", "/metrics", ""},
		{"GET", "/debug/pprof/", ""},
		{"GET", "/debug/pprof/profile?seconds=1", ""},
		{"POST", "/revoke", `{"user":"petr","not_before":` + strconv.FormatInt(time.Now().Unix()+1, 10) + `}`},
		{"GET", "/nope", ""},
		{"GET", "/dispatch", ""},
	} {
		status, body := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, r.method, r.path, r.body)
		if status != 403 || !strings.Contains(body, "needs root or the gateway's own user") {
			t.Errorf("nobody %s %s: %d %.200s, want 403", r.method, r.path, status, body)
		}
	}
	// petr is still connected (the revoke was refused), and the next
	// thing petr receives is the probe (lastSeq), not the refused dispatch.
	if m := live.nextOfType("notification", 5*time.Second); m["title"] != "probe" {
		t.Fatalf("petr got %v", m)
	}
}

func TestTrustedGroupMayDoEverything(t *testing.T) {
	// nobody by its primary group (nogroup), testusers' member by its
	// listing in the group database, both for the process and the database.
	for _, tc := range []struct {
		group string
		as    testusers.User
	}{{"nogroup", testusers.Nobody(t)}, {testusers.TrustedGroup, testusers.Member(t)}} {
		t.Run(tc.group, func(t *testing.T) {
			gw := gatewaytest.Start(t, gatewaytest.Options{TrustedGroup: tc.group})
			openToEveryone(t, gw)
			if status, body := testusers.CurlUnix(t, tc.as, gw.Socket, "POST", "/dispatch", `{"user":"petr","notification":{"title":"x"}}`); status != 200 {
				t.Fatalf("%s in %s dispatching to petr: %d %s", tc.as.Name, tc.group, status, body)
			}
			if status, body := testusers.CurlUnix(t, tc.as, gw.Socket, "GET", "/health", ""); status != 200 || !strings.Contains(body, `"status":"ok"`) {
				t.Fatalf("%s in %s: health %d %s", tc.as.Name, tc.group, status, body)
			}
			if status, _ := testusers.CurlUnix(t, tc.as, gw.Socket, "GET", "/metrics", ""); status != 200 {
				t.Fatalf("%s in %s: metrics %d", tc.as.Name, tc.group, status)
			}
		})
	}
	// Not in the group: still untrusted.
	gw := gatewaytest.Start(t, gatewaytest.Options{TrustedGroup: testusers.TrustedGroup})
	openToEveryone(t, gw)
	if status, _ := testusers.CurlUnix(t, testusers.Nobody(t), gw.Socket, "GET", "/health", ""); status != 403 {
		t.Fatalf("nobody (not in %s): health %d, want 403", testusers.TrustedGroup, status)
	}
}

func TestUnknownTrustedGroupStopsStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.TrustedGroup = "no-such-group-here"
	if _, err := server.New(cfg, discardLogger()); err == nil || !strings.Contains(err.Error(), "WS_DISPATCH_TRUSTED_GROUP") {
		t.Fatalf("unknown trusted group: %v", err)
	}
}

func TestRevokeCutoffFarInTheFutureIs400(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	c := authed(t, gw, "petr", nil)
	far := time.Now().Add(10 * 365 * 24 * time.Hour).Unix()
	status, _, raw := rawHTTP(t, gw.Socket, "POST", "/revoke", `{"user":"petr","not_before":`+strconv.FormatInt(far, 10)+`}`)
	if status != 400 || !strings.Contains(raw, "in the future") {
		t.Fatalf("revoke ten years ahead: %d %s, want 400", status, raw)
	}
	// Nothing was stored: after a restart a fresh token still works.
	gw.Restart(t)
	authed(t, gw, "petr", nil)
	_ = c
	// A cutoff a little ahead (an unlink's second, clock skew) is fine.
	soon := time.Now().Add(30 * time.Second).Unix()
	if status, _, raw := rawHTTP(t, gw.Socket, "POST", "/revoke", `{"user":"petr","not_before":`+strconv.FormatInt(soon, 10)+`}`); status != 200 {
		t.Fatalf("revoke 30 s ahead: %d %s", status, raw)
	}
}

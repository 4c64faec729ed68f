package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/server"
)

// The tests run as root, which the gateway trusts. Other callers are real
// processes (curl) run as other users, so the kernel's SO_PEERCRED is what
// the gateway sees, not something a test could fake.

// osUser is a system user to run a caller as.
type osUser struct {
	name     string
	uid, gid uint32
}

var (
	nobody = osUser{"nobody", 65534, 65534}
	// postgres's primary group is postgres; it is listed as a member of
	// ssl-cert in /etc/group (Debian's postgresql package does this).
	postgres = osUser{"postgres", 101, 104}
)

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

// curlAs makes one request on the dispatch socket as u and returns the
// status and body.
func curlAs(t *testing.T, u osUser, socket, method, path, body string) (int, string) {
	t.Helper()
	args := []string{"-sS", "--unix-socket", socket, "-X", method, "-w", "\n%{http_code}", "http://localhost" + path}
	if body != "" {
		args = append(args, "-H", "Content-Type: application/json", "--data-binary", body)
	}
	cmd := exec.Command("curl", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl as %s %s %s: %v", u.name, method, path, err)
	}
	text := strings.TrimRight(string(out), "\n")
	i := strings.LastIndexByte(text, '\n')
	status, err := strconv.Atoi(text[i+1:])
	if err != nil {
		t.Fatalf("curl output %q", out)
	}
	return status, text[:max(i, 0)]
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

	status, body := curlAs(t, nobody, gw.Socket, "POST", "/dispatch", `{"user":"nobody","notification":{"title":"mine"}}`)
	if status != 200 || !strings.Contains(body, `"stored":true`) {
		t.Fatalf("nobody dispatching to nobody: %d %s", status, body)
	}
	status, body = curlAs(t, nobody, gw.Socket, "POST", "/dispatch",
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
		status, body := curlAs(t, nobody, gw.Socket, r.method, r.path, r.body)
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
	// nobody by its primary group (nogroup), postgres by its listing in
	// /etc/group (ssl-cert), both for the process and the user database.
	for _, tc := range []struct {
		group string
		as    osUser
	}{{"nogroup", nobody}, {"ssl-cert", postgres}} {
		t.Run(tc.group, func(t *testing.T) {
			gw := gatewaytest.Start(t, gatewaytest.Options{TrustedGroup: tc.group})
			openToEveryone(t, gw)
			if status, body := curlAs(t, tc.as, gw.Socket, "POST", "/dispatch", `{"user":"petr","notification":{"title":"x"}}`); status != 200 {
				t.Fatalf("%s in %s dispatching to petr: %d %s", tc.as.name, tc.group, status, body)
			}
			if status, body := curlAs(t, tc.as, gw.Socket, "GET", "/health", ""); status != 200 || !strings.Contains(body, `"status":"ok"`) {
				t.Fatalf("%s in %s: health %d %s", tc.as.name, tc.group, status, body)
			}
			if status, _ := curlAs(t, tc.as, gw.Socket, "GET", "/metrics", ""); status != 200 {
				t.Fatalf("%s in %s: metrics %d", tc.as.name, tc.group, status)
			}
		})
	}
	// Not in the group: still untrusted.
	gw := gatewaytest.Start(t, gatewaytest.Options{TrustedGroup: "ssl-cert"})
	openToEveryone(t, gw)
	if status, _ := curlAs(t, nobody, gw.Socket, "GET", "/health", ""); status != 403 {
		t.Fatalf("nobody (not in ssl-cert): health %d, want 403", status)
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

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/server"
)

// rawHTTP speaks to the dispatch socket without the typed client, as the
// seed's curl lines do.
func rawHTTP(t *testing.T, socket, method, path, body string) (int, map[string]any, string) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}}
	req, _ := http.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(data, &m)
	return resp.StatusCode, m, string(data)
}

func TestDispatchAPIErrors(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	cases := []struct {
		name, body string
		status     int
	}{
		{"bad json", `{"user":`, 400},
		{"not an object", `[1]`, 400},
		{"missing user", `{"notification":{"title":"x"}}`, 400},
		{"empty user", `{"user":"","notification":{"title":"x"}}`, 400},
		{"missing notification", `{"user":"petr"}`, 400},
		{"null notification", `{"user":"petr","notification":null}`, 400},
		{"empty notification", `{"user":"petr","notification":{}}`, 400},
		{"notification not object", `{"user":"petr","notification":"hi"}`, 400},
		{"control chars in user", `{"user":"pe\ntr","notification":{"title":"x"}}`, 400},
		{"ok", `{"user":"petr","notification":{"id":"test-1","title":"Test Alert","message":"This is a test notification.","timestamp":"2026-01-30T12:00:00Z"}}`, 200},
	}
	for _, tc := range cases {
		status, m, raw := rawHTTP(t, gw.Socket, "POST", "/dispatch", tc.body)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, status, tc.status, raw)
			continue
		}
		if status == 400 {
			if e, _ := m["error"].(string); e == "" || m["code"] != protocol.CodeBadRequest {
				t.Errorf("%s: 400 without an error message and code bad_request: %s", tc.name, raw)
			}
		}
		if status == 200 {
			if m["sent"] != 0.0 || m["stored"] != true || m["seq"] != 1.0 {
				t.Errorf("%s: answer %s", tc.name, raw)
			}
		}
	}
}

func TestDispatchBodyOver1MiBIs413(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	big := `{"user":"petr","notification":{"message":"` + strings.Repeat("x", protocol.MaxDispatchBytes) + `"}}`
	status, m, _ := rawHTTP(t, gw.Socket, "POST", "/dispatch", big)
	if status != http.StatusRequestEntityTooLarge || m["error"] == nil || m["code"] != protocol.CodeTooLarge {
		t.Fatalf("status %d %v, want 413 with an error and code too_large", status, m)
	}
	// Nothing was stored: the next dispatch is seq 1.
	if res := dispatch(t, gw, "petr", map[string]string{"title": "x"}); res.Seq != 1 {
		t.Fatalf("after a refused dispatch, seq = %d", res.Seq)
	}
}

func TestHealthAndMetricsAndUnknownPaths(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	authed(t, gw, "petr", nil)
	status, m, raw := rawHTTP(t, gw.Socket, "GET", "/health", "")
	if status != 200 || m["status"] != "ok" || m["connections"] != 1.0 {
		t.Fatalf("health: %d %s", status, raw)
	}
	if users, _ := m["users"].(map[string]any); users["petr"] != 1.0 {
		t.Fatalf("health users: %s", raw)
	}
	dispatch(t, gw, "petr", map[string]string{"title": "x"})
	status, _, raw = rawHTTP(t, gw.Socket, "GET", "/metrics", "")
	for _, want := range []string{"ws_gateway_connections 1", `ws_gateway_auths_total{result="ok"} 1`,
		`ws_gateway_dispatches_total{result="ok"} 1`, "ws_gateway_deliveries_total 1",
		"ws_gateway_dropped_slow_clients_total 0", "ws_gateway_replayed_notifications_total 0"} {
		if status != 200 || !strings.Contains(raw, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if status, m, _ := rawHTTP(t, gw.Socket, "GET", "/nope", ""); status != 404 || m["error"] == nil || m["code"] != protocol.CodeNotFound {
		t.Errorf("unknown path: %d %v", status, m)
	}
	if status, m, _ := rawHTTP(t, gw.Socket, "GET", "/dispatch", ""); status != 405 || m["code"] != protocol.CodeMethodNotAllowed {
		t.Errorf("GET /dispatch: %d %v, want 405 method_not_allowed", status, m)
	}
}

func testConfig(t *testing.T) config.Config {
	cfg := config.Defaults()
	cfg.Port = 0
	dir, err := os.MkdirTemp("", "gwsock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg.DispatchSocket = filepath.Join(dir, "nested", "run", "ws.sock")
	cfg.StateDir = t.TempDir()
	cfg.Secret = bytes.Repeat([]byte("s"), 32)
	cfg.Fsync = false
	return cfg
}

func TestDispatchSocketFileHandling(t *testing.T) {
	cfg := testConfig(t)
	log := discardLogger()
	// Folder created, mode 0770.
	g, err := server.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve()
	fi, err := os.Stat(cfg.DispatchSocket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o770 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v, want socket 0770", fi.Mode())
	}
	// A second gateway on the same live socket is refused, clearly.
	cfg2 := cfg
	cfg2.StateDir = t.TempDir()
	if _, err := server.New(cfg2, log); err == nil || !strings.Contains(err.Error(), "already serving") {
		t.Fatalf("second gateway on a live socket: %v", err)
	}
	g.Shutdown(context.Background())
	if _, err := os.Stat(cfg.DispatchSocket); !os.IsNotExist(err) {
		t.Fatalf("socket file left after shutdown: %v", err)
	}

	// A stale socket file (left by a crash) is replaced.
	ln, err := net.Listen("unix", cfg.DispatchSocket)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	g, err = server.New(cfg, log)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	go g.Serve()
	if _, err := protocol.NewClient(cfg.DispatchSocket).Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.Shutdown(context.Background())

	// A regular file where the socket goes is never deleted.
	os.WriteFile(cfg.DispatchSocket, []byte("precious"), 0o600)
	if _, err := server.New(cfg, log); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("regular file at socket path: %v", err)
	}
}

func TestSecretShorterThan32BytesStopsStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.Secret = []byte("short")
	if _, err := server.New(cfg, discardLogger()); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("short secret: %v", err)
	}
}

func TestDispatchClientReportsGatewayDown(t *testing.T) {
	_, err := protocol.NewClient(filepath.Join(t.TempDir(), "none.sock")).Dispatch(context.Background(), "u", protocol.Notification{Title: "x"})
	if err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("err = %v", err)
	}
	_ = time.Second
}

// A notification whose frame the apps would refuse (over MaxFrameBytes once
// the gateway's fields are added) is refused with 413 and stored nowhere:
// it must never reach a history that an app resumes from.
func TestDispatchFrameOverMaxFrameBytesIs413AndNotStored(t *testing.T) {
	testDispatchFrameOverMaxFrameBytesIs413AndNotStored(t, gatewaytest.Options{})
}

func testDispatchFrameOverMaxFrameBytesIs413AndNotStored(t *testing.T, o gatewaytest.Options) {
	gw := gatewaytest.Start(t, o)
	live := authed(t, gw, "petr", nil)
	live.ws.SetReadLimit(protocol.MaxFrameBytes) // as the app reads
	notif := func(n int) string {
		return `{"id":"big","timestamp":"2026-01-30T10:00:00Z","message":"` + strings.Repeat("x", n) + `"}`
	}
	// Sized so the frame at seq 1 is exactly MaxFrameBytes.
	frame, err := protocol.NotificationFrameBytes(json.RawMessage(notif(0)), 1, strings.Repeat("0", protocol.EpochBytes), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	exact := protocol.MaxFrameBytes - len(frame)

	for _, n := range []int{exact + 1, protocol.MaxFrameBytes, 4 * protocol.MaxFrameBytes} {
		status, m, raw := rawHTTP(t, gw.Socket, "POST", "/dispatch", `{"user":"petr","notification":`+notif(n)+`}`)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(raw, "too large") {
			t.Fatalf("message of %d bytes: %d %v, want 413 naming the size", n, status, m)
		}
	}
	res := dispatch(t, gw, "petr", json.RawMessage(notif(exact)))
	if res.Seq != 1 || res.Sent != 1 {
		t.Fatalf("frame of exactly MaxFrameBytes: %+v, want seq 1 sent 1 (nothing refused took a seq)", res)
	}
	if got := live.nextOfType(protocol.TypeNotification, 5*time.Second); got["id"] != "big" {
		t.Fatalf("live client got %v", got["id"])
	}
	// A resume from scratch replays only the one that fits.
	c := dial(t, gw.WSURL)
	c.ws.SetReadLimit(protocol.MaxFrameBytes)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr"), Resume: &protocol.Resume{}})
	if ok := c.nextOfType(protocol.TypeAuthOK, 5*time.Second); ok["replay"] != 1.0 {
		t.Fatalf("auth_ok %v, want replay 1", ok)
	}
	_, _, raw := rawHTTP(t, gw.Socket, "GET", "/metrics", "")
	if !strings.Contains(raw, `ws_gateway_dispatches_total{result="too_large"} 3`) {
		t.Errorf("refusals not counted as too_large")
	}
}

// /health names the history's epoch: the same across a restart, new when
// the database was lost (the webapp then sends its revocation cutoffs again).
func TestHealthEpochChangesOnlyWhenStateIsLost(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	health := func() protocol.HealthResponse {
		t.Helper()
		h, err := gw.Client().Health(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	first := health().Epoch
	if len(first) != protocol.EpochBytes {
		t.Fatalf("health epoch %q, want %d characters", first, protocol.EpochBytes)
	}
	c := authed(t, gw, "petr", nil)
	dispatch(t, gw, "petr", map[string]string{"title": "x"})
	if n := c.nextOfType(protocol.TypeNotification, 5*time.Second); n["epoch"] != first {
		t.Fatalf("notification epoch %v, health epoch %q", n["epoch"], first)
	}
	gw.Restart(t)
	if e := health().Epoch; e != first {
		t.Fatalf("epoch after a restart %q, want %q", e, first)
	}
	gw.RestartLosingState(t)
	if e := health().Epoch; e == first || e == "" {
		t.Fatalf("epoch after losing the database %q, want a new one (was %q)", e, first)
	}
}

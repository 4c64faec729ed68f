//go:build nginx

package deploy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The shipped location blocks, included as they are in a server block: an
// app's WebSocket reaches the gateway through /ws/notifications (auth, a
// dispatched notification and the heartbeat pass through), and everything
// else reaches the portal with the forwarded headers it trusts.
func TestShippedNginxLocations(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{Heartbeat: 200 * time.Millisecond})
	gwPort := strings.TrimSuffix(strings.TrimPrefix(gw.WSURL, "ws://127.0.0.1:"), "/")

	shipped, err := os.ReadFile("nginx-ws.conf")
	if err != nil {
		t.Fatal(err)
	}
	// The only change: the upstreams' ports, which the test picks.
	loc := strings.ReplaceAll(string(shipped), "127.0.0.1:8765", "127.0.0.1:"+gwPort)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ws.conf"), []byte(loc), 0o644)
	// The portal's location, in front of a stand-in that echoes what nginx
	// passed on.
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host=%s proto=%s xff=%s path=%s", r.Host, r.Header.Get("X-Forwarded-Proto"),
			r.Header.Get("X-Forwarded-For"), r.URL.Path)
	}))
	defer portal.Close()
	shippedWeb, err := os.ReadFile("nginx-webapp.conf")
	if err != nil {
		t.Fatal(err)
	}
	web := strings.ReplaceAll(string(shippedWeb), "127.0.0.1:8080", strings.TrimPrefix(portal.URL, "http://"))
	os.WriteFile(filepath.Join(dir, "web.conf"), []byte(web), 0o644)
	port := freePort(t)
	startNginx(t, dir, port, nil, []string{"ws.conf", "web.conf"})

	url := fmt.Sprintf("ws://127.0.0.1:%d/ws/notifications", port)
	var ws *websocket.Conn
	for deadline := time.Now().Add(5 * time.Second); ; {
		ws, _, err = websocket.DefaultDialer.Dial(url, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial through nginx: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer ws.Close()
	ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")})
	var ok protocol.AuthOK
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&ok); err != nil || ok.Username != "petr" {
		t.Fatalf("auth through nginx: %+v %v", ok, err)
	}
	if _, err := gw.Client().Dispatch(t.Context(), "petr", protocol.Notification{Title: "through nginx"}); err != nil {
		t.Fatal(err)
	}
	sawPing, sawNote := false, false
	for !(sawPing && sawNote) {
		var f protocol.NotificationFrame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("read through nginx: %v", err)
		}
		switch f.Type {
		case protocol.TypePing:
			sawPing = true
			ws.WriteJSON(map[string]string{"type": protocol.TypePong})
		case protocol.TypeNotification:
			sawNote = f.Title == "through nginx" && f.Seq == 1
		}
	}
	h, _ := gw.Client().Health(t.Context())
	if h.Users["petr"] != 1 {
		t.Fatalf("health through nginx: %+v", h)
	}

	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/dashboard", port))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := fmt.Sprintf("host=127.0.0.1:%d proto=http xff=127.0.0.1 path=/dashboard", port)
	if string(body) != want && string(body) != strings.Replace(want, fmt.Sprintf(":%d", port), "", 1) {
		t.Fatalf("portal through nginx saw %q, want %q", body, want)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

//go:build nginx

package deploy

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/webapp/webapptest"
)

// TestMain removes the notify-scripts helper webapptest builds.
func TestMain(m *testing.M) { webapptest.Main(m) }

// The real webapp behind the shipped nginx-webapp.conf answers only its
// public URL's host: nginx passes the browser's Host on ($host, without the
// port), so the site's own name gets through and any other name (a
// DNS-rebinding page's) gets 421.
func TestShippedNginxPassesHostToWebapp(t *testing.T) {
	port := freePort(t)
	webapp := webapptest.Start(t, webapptest.Options{Env: []string{"WEBAPP_PUBLIC_URL=" + fmt.Sprintf("http://alerts.test:%d", port)}})

	dir := t.TempDir()
	shipped, err := os.ReadFile("nginx-webapp.conf")
	if err != nil {
		t.Fatal(err)
	}
	web := strings.ReplaceAll(string(shipped), "127.0.0.1:8080", webapp.Addr)
	os.WriteFile(filepath.Join(dir, "web.conf"), []byte(web), 0o644)
	startNginx(t, dir, port, nil, []string{"web.conf"})

	get := func(host, path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
		req.Host = host
		for deadline := time.Now().Add(5 * time.Second); ; {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("through nginx: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// As a browser at http://alerts.test:PORT sends it, and without the port.
	for _, host := range []string{fmt.Sprintf("alerts.test:%d", port), "alerts.test", "Alerts.Test"} {
		if status, body := get(host, "/auth/dev"); status != 200 || !strings.Contains(body, "Development sign-in") {
			t.Fatalf("Host %s through nginx: %d %.200s", host, status, body)
		}
	}
	for _, host := range []string{fmt.Sprintf("evil.test:%d", port), fmt.Sprintf("127.0.0.1:%d", port)} {
		if status, body := get(host, "/auth/dev"); status != http.StatusMisdirectedRequest || !strings.Contains(body, "wrong_host") {
			t.Fatalf("Host %s through nginx: %d %.200s, want 421 wrong_host", host, status, body)
		}
	}
}

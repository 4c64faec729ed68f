//go:build nginx

package deploy

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startNginx runs the nginx on the PATH with dir as its prefix, listening
// on 127.0.0.1:port: the conf files httpIncludes names (in dir) are
// included in the http block, those serverIncludes names in its one server
// block. It checks the configuration with nginx -t, stops nginx when the
// test ends, and returns once nginx accepts connections on the port.
func startNginx(t *testing.T, dir string, port int, httpIncludes, serverIncludes []string) {
	t.Helper()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Fatal("nginx not installed (scripts/setup.d/15-nginx.sh installs it)")
	}
	var httpLines, serverLines strings.Builder
	for _, name := range httpIncludes {
		fmt.Fprintf(&httpLines, "  include %s;\n", filepath.Join(dir, name))
	}
	for _, name := range serverIncludes {
		fmt.Fprintf(&serverLines, "    include %s;\n", filepath.Join(dir, name))
	}
	conf := fmt.Sprintf(`daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
%[3]s  server {
    listen 127.0.0.1:%[2]d;
%[4]s  }
}
`, dir, port, httpLines.String(), serverLines.String())
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", confPath).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", confPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

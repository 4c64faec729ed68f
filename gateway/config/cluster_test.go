package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClusterModeIsOffByDefault(t *testing.T) {
	c, err := Load([]string{secret})
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.Enabled() || c.Cluster != (Cluster{}) {
		t.Fatalf("cluster without configuration: %+v", c.Cluster)
	}
}

func TestClusterVariablesAreRead(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "gw.creds")
	if err := os.WriteFile(creds, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{secret, "WS_GATEWAY_NATS_URL=nats://n1:4222, nats://n2:4222,tls://n3:4222",
		"WS_GATEWAY_NODE=gw-2", "WS_GATEWAY_NATS_REPLICAS=5", "WS_GATEWAY_NATS_CREDS=" + creds})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Cluster.Enabled() || c.Cluster.Node != "gw-2" || c.Cluster.Replicas != 5 || c.Cluster.Creds != creds {
		t.Fatalf("cluster: %+v", c.Cluster)
	}
	// The node defaults to the host name, the replicas to 3.
	c, err = Load([]string{secret, "WS_GATEWAY_NATS_URL=nats://127.0.0.1:4222"})
	host, _ := os.Hostname()
	if err != nil || c.Cluster.Node != host || c.Cluster.Replicas != 3 {
		t.Fatalf("defaults: %+v, %v", c.Cluster, err)
	}
}

func TestClusterErrorsNameTheVariable(t *testing.T) {
	url := "WS_GATEWAY_NATS_URL=nats://127.0.0.1:4222"
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"WS_GATEWAY_NATS_URL=http://x:80"}, "WS_GATEWAY_NATS_URL"},
		{[]string{"WS_GATEWAY_NATS_URL=nats://user:hunter2@x:4222,localhost"}, "WS_GATEWAY_NATS_URL"},
		{[]string{url, "WS_GATEWAY_NATS_REPLICAS=7"}, "WS_GATEWAY_NATS_REPLICAS"},
		{[]string{url, "WS_GATEWAY_NATS_CREDS=/nonexistent/gw.creds"}, "WS_GATEWAY_NATS_CREDS"},
		{[]string{url, "WS_GATEWAY_NATS_USER=u"}, "WS_GATEWAY_NATS_PASSWORD"},
		{[]string{url, "WS_GATEWAY_NATS_TOKEN=t", "WS_GATEWAY_NATS_USER=u", "WS_GATEWAY_NATS_PASSWORD=p"}, "WS_GATEWAY_NATS_TOKEN"},
		{[]string{url, "WS_GATEWAY_NATS_TLS_CERT=/x"}, "WS_GATEWAY_NATS_TLS_KEY"},
		{[]string{"WS_GATEWAY_NODE=gw-1"}, "WS_GATEWAY_NODE is set but WS_GATEWAY_NATS_URL is not"},
	} {
		_, err := Load(append(tc.env, secret))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to mention %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", tc.env, err)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// The NATS credentials, end to end: a ws-gateway node reaches a NATS
// server that requires them only with the configured ones (a token, a
// user and password, the same in the URL, a .creds file); with wrong
// ones it does not start, saying why without showing any secret; and no
// secret, right or wrong, appears in its logs, /health or /metrics.
func TestClusterNATSCredentials(t *testing.T) {
	type auth struct {
		server func(o *server.Options, dir string) (client []nats.Option, secrets []string)
		// good and bad are the node's NATS variables (url is the server's).
		good, bad func(url string) []string
		// named is how the refusal names the credentials it used.
		named string
	}
	cases := map[string]auth{
		"token": {
			server: func(o *server.Options, _ string) ([]nats.Option, []string) {
				o.Authorization = "tok-s3cret-right"
				return []nats.Option{nats.Token("tok-s3cret-right")}, []string{"tok-s3cret-right", "tok-s3cret-wrong"}
			},
			good: func(url string) []string {
				return []string{"WS_GATEWAY_NATS_URL=" + url, "WS_GATEWAY_NATS_TOKEN=tok-s3cret-right"}
			},
			bad: func(url string) []string {
				return []string{"WS_GATEWAY_NATS_URL=" + url, "WS_GATEWAY_NATS_TOKEN=tok-s3cret-wrong"}
			},
			named: "with the token of WS_GATEWAY_NATS_TOKEN",
		},
		"user and password": {
			server: func(o *server.Options, _ string) ([]nats.Option, []string) {
				o.Username, o.Password = "gw", "pw-s3cret-right"
				return []nats.Option{nats.UserInfo("gw", "pw-s3cret-right")}, []string{"pw-s3cret-right", "pw-s3cret-wrong"}
			},
			good: func(url string) []string {
				return []string{"WS_GATEWAY_NATS_URL=" + url, "WS_GATEWAY_NATS_USER=gw", "WS_GATEWAY_NATS_PASSWORD=pw-s3cret-right"}
			},
			bad: func(url string) []string {
				return []string{"WS_GATEWAY_NATS_URL=" + url, "WS_GATEWAY_NATS_USER=gw", "WS_GATEWAY_NATS_PASSWORD=pw-s3cret-wrong"}
			},
			named: `with the user "gw" and the password of WS_GATEWAY_NATS_PASSWORD`,
		},
		"user and password in the URL": {
			server: func(o *server.Options, _ string) ([]nats.Option, []string) {
				o.Username, o.Password = "gw", "url-s3cret-right"
				return []nats.Option{nats.UserInfo("gw", "url-s3cret-right")}, []string{"url-s3cret-right", "url-s3cret-wrong"}
			},
			good: func(url string) []string {
				return []string{"WS_GATEWAY_NATS_URL=" + strings.Replace(url, "nats://", "nats://gw:url-s3cret-right@", 1)}
			},
			bad: func(url string) []string {
				return []string{"WS_GATEWAY_NATS_URL=" + strings.Replace(url, "nats://", "nats://gw:url-s3cret-wrong@", 1)}
			},
			named: "with the user and password in WS_GATEWAY_NATS_URL",
		},
	}
	// A .creds file: operator mode, and for the wrong one a user of an
	// operator the server does not trust.
	var rightCreds, wrongCreds string
	cases["creds file"] = auth{
		server: func(o *server.Options, dir string) ([]nats.Option, []string) {
			rightCreds = natstest.Operator(t, o, dir)
			wrongCreds = natstest.Operator(t, &server.Options{}, t.TempDir())
			return []nats.Option{nats.UserCredentials(rightCreds)}, append(credsSecrets(t, rightCreds), credsSecrets(t, wrongCreds)...)
		},
		good: func(url string) []string {
			return []string{"WS_GATEWAY_NATS_URL=" + url, "WS_GATEWAY_NATS_CREDS=" + rightCreds}
		},
		bad: func(url string) []string {
			return []string{"WS_GATEWAY_NATS_URL=" + url, "WS_GATEWAY_NATS_CREDS=" + wrongCreds}
		},
		named: "of WS_GATEWAY_NATS_CREDS",
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			port := natstest.FreePorts(t, 1)[0]
			o := &server.Options{ServerName: "nats-auth", Host: "127.0.0.1", Port: port, JetStream: true,
				StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
			client, secrets := c.server(o, t.TempDir())
			natstest.StartWithClient(t, client, o)
			url := fmt.Sprintf("nats://127.0.0.1:%d", port)

			// The configured credentials: the node starts and works.
			good := c.good(url) // the URL first
			p := startNodeOn(t, strings.TrimPrefix(good[0], "WS_GATEWAY_NATS_URL="), 0,
				append([]string{"WS_GATEWAY_NATS_REPLICAS=1"}, good[1:]...)...)
			a, err := dialApp(t, p.url(), "ann", time.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res := dispatch(t, p, "ann", 1); res.Seq != 1 || res.Sent != 1 {
				t.Fatalf("dispatch: %+v", res)
			}
			a.expect(t, 1)
			health := socketGet(t, p.socket, protocol.PathHealth)
			if !strings.Contains(health, `"CONNECTED"`) {
				t.Fatalf("health: %s", health)
			}
			var out, errb bytes.Buffer
			if code := run([]string{"health", "--json", "--socket", p.socket}, nil, &out, &errb); code != 0 {
				t.Fatalf("ws-gateway health: %d %q", code, errb.String())
			}
			shown := map[string]string{"/health": health, "/metrics": socketGet(t, p.socket, protocol.PathMetrics),
				"ws-gateway health": out.String() + errb.String(), "the node's log": p.out.String()}

			// Wrong ones: the start stops with a clear error.
			out.Reset()
			errb.Reset()
			env := append([]string{"DESKTOP_JWT_SECRET=" + secret, "WS_GATEWAY_PORT=0",
				"WS_DISPATCH_SOCKET=" + t.TempDir() + "/ws.sock", "WS_GATEWAY_NODE=gw-x", "WS_GATEWAY_NATS_REPLICAS=1"}, c.bad(url)...)
			if code := run([]string{"serve"}, env, &out, &errb); code == 0 ||
				!strings.Contains(strings.ToLower(errb.String()), "authorization violation") ||
				!strings.Contains(errb.String(), c.named) {
				t.Fatalf("serve with wrong credentials: exit %d, %q", code, errb.String())
			}
			t.Logf("wrong credentials: %s", strings.TrimSpace(errb.String()))
			shown["the refused start"] = out.String() + errb.String()

			for where, text := range shown {
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("%s shows the secret %q:\n%s", where, s, text)
					}
				}
			}
		})
	}
}

// credsSecrets is what in a .creds file must never be shown: the JWT and
// the seed.
func credsSecrets(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	userJWT, err := jwt.ParseDecoratedJWT(b)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := jwt.ParseDecoratedUserNKey(b)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return []string{userJWT, string(seed)}
}

// socketGet is GET path on the dispatch socket, the body.
func socketGet(t *testing.T, socket, path string) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}}
	res, err := c.Get("http://gateway" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
	}
	return string(b)
}

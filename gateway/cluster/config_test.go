package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/keboola/analyst-alerts/gateway/cluster/natstest"
	"github.com/keboola/analyst-alerts/gateway/config"
)

// The NATS variables reach the connection: a node configured only through
// the environment reaches a server that requires TLS (its own CA) and a
// user and password, and is refused with a wrong password or without the CA.
func TestTLSAndPasswordFromTheConfiguration(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeTLSFiles(t, dir)
	tlsConf, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	port := natstest.FreePorts(t, 1)[0]
	natstest.StartWithClient(t, []nats.Option{nats.RootCAs(ca), nats.UserInfo("gw", "s3cret-pass")}, &server.Options{
		ServerName: "nats-tls", Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true, TLSConfig: tlsConf, TLSTimeout: 2,
		Username: "gw", Password: "s3cret-pass",
	})
	url := "tls://127.0.0.1:" + strconv.Itoa(port)
	load := func(extra ...string) Options {
		t.Helper()
		cfg, err := config.Load(append([]string{"DESKTOP_JWT_SECRET=0123456789abcdef0123456789abcdef",
			"WS_GATEWAY_NATS_URL=" + url, "WS_GATEWAY_NODE=gw-tls", "WS_GATEWAY_NATS_REPLICAS=1"}, extra...))
		if err != nil {
			t.Fatal(err)
		}
		o := OptionsFrom(cfg, nil)
		o.WriteWait = 3 * time.Second
		return o
	}
	n, err := Open(load("WS_GATEWAY_NATS_TLS_CA="+ca, "WS_GATEWAY_NATS_USER=gw", "WS_GATEWAY_NATS_PASSWORD=s3cret-pass"))
	if err != nil {
		t.Fatalf("open with TLS and password: %v", err)
	}
	defer n.Close()
	if res, err := n.Publish("ann", note(1)); err != nil || res.Seq != 1 {
		t.Fatalf("publish: %+v, %v", res, err)
	}
	for want, o := range map[string]Options{
		"authorization violation": load("WS_GATEWAY_NATS_TLS_CA="+ca, "WS_GATEWAY_NATS_USER=gw", "WS_GATEWAY_NATS_PASSWORD=nope"),
		"certificate":             load("WS_GATEWAY_NATS_USER=gw", "WS_GATEWAY_NATS_PASSWORD=s3cret-pass"),
	} {
		n, err := Open(o)
		if err == nil {
			n.Close()
			t.Errorf("connected, want a refusal mentioning %q", want)
		} else if !strings.Contains(strings.ToLower(err.Error()), want) {
			t.Errorf("error %q, want it to mention %q", err, want)
		}
	}
}

// writeTLSFiles writes a CA and a server certificate for 127.0.0.1.
func writeTLSFiles(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	for path, block := range map[string]*pem.Block{
		ca:   {Type: "CERTIFICATE", Bytes: caDER},
		cert: {Type: "CERTIFICATE", Bytes: srvDER},
		key:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ca, cert, key
}

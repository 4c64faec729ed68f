package config

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Cluster mode: set WS_GATEWAY_NATS_URL and the gateway is one node of a
// cluster sharing history and fan-out through NATS JetStream
// (docs/cluster.md). Unset, it runs on its embedded store as before.
const (
	EnvNATSURL      = "WS_GATEWAY_NATS_URL"      // comma-separated nats:// or tls:// URLs
	EnvNode         = "WS_GATEWAY_NODE"          // this node's name (default: the host name)
	EnvNATSReplicas = "WS_GATEWAY_NATS_REPLICAS" // replicas of the history stream and buckets (3)
	EnvNATSCreds    = "WS_GATEWAY_NATS_CREDS"    // a .creds file (JWT + nkey)
	EnvNATSToken    = "WS_GATEWAY_NATS_TOKEN"
	EnvNATSUser     = "WS_GATEWAY_NATS_USER"
	EnvNATSPassword = "WS_GATEWAY_NATS_PASSWORD"
	EnvNATSCA       = "WS_GATEWAY_NATS_TLS_CA"   // CA file to verify the servers
	EnvNATSCert     = "WS_GATEWAY_NATS_TLS_CERT" // client certificate (with _KEY)
	EnvNATSKey      = "WS_GATEWAY_NATS_TLS_KEY"
)

// Cluster is the NATS side of the configuration; zero when not clustered.
type Cluster struct {
	URLs     string // empty: the embedded store
	Node     string
	Replicas int
	Creds    string
	Token    string
	User     string
	Password string
	CAFile   string
	CertFile string
	KeyFile  string
}

// Enabled says the gateway runs as a cluster node.
func (c Cluster) Enabled() bool { return c.URLs != "" }

// loadCluster reads the cluster variables; errors name the variable.
func loadCluster(env map[string]string) (Cluster, []string) {
	var c Cluster
	var errs []string
	c.URLs = strings.TrimSpace(env[EnvNATSURL])
	if !c.Enabled() {
		for _, name := range []string{EnvNode, EnvNATSReplicas, EnvNATSCreds, EnvNATSToken, EnvNATSUser, EnvNATSPassword, EnvNATSCA, EnvNATSCert, EnvNATSKey} {
			if env[name] != "" {
				errs = append(errs, fmt.Sprintf("%s is set but %s is not: set both for cluster mode, or neither", name, EnvNATSURL))
			}
		}
		return c, errs
	}
	for _, u := range strings.Split(c.URLs, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls") {
			errs = append(errs, fmt.Sprintf("%s: %q is not a nats:// or tls:// URL", EnvNATSURL, redact(u)))
		}
	}
	c.Node = env[EnvNode]
	if c.Node == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			errs = append(errs, fmt.Sprintf("%s is not set and the host name is unknown: name this node", EnvNode))
		}
		c.Node = h
	}
	c.Replicas = 3
	if v := env[EnvNATSReplicas]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			errs = append(errs, fmt.Sprintf("%s=%q: want 1 to 5 (JetStream's limit)", EnvNATSReplicas, v))
		}
		c.Replicas = n
	}
	c.Creds, c.Token, c.User, c.Password = env[EnvNATSCreds], env[EnvNATSToken], env[EnvNATSUser], env[EnvNATSPassword]
	c.CAFile, c.CertFile, c.KeyFile = env[EnvNATSCA], env[EnvNATSCert], env[EnvNATSKey]
	auths := 0
	for _, set := range []bool{c.Creds != "", c.Token != "", c.User != ""} {
		if set {
			auths++
		}
	}
	if auths > 1 {
		errs = append(errs, fmt.Sprintf("set one of %s, %s or %s (with %s)", EnvNATSCreds, EnvNATSToken, EnvNATSUser, EnvNATSPassword))
	}
	if (c.User == "") != (c.Password == "") {
		errs = append(errs, fmt.Sprintf("%s and %s go together", EnvNATSUser, EnvNATSPassword))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, fmt.Sprintf("%s and %s go together", EnvNATSCert, EnvNATSKey))
	}
	for name, path := range map[string]string{EnvNATSCreds: c.Creds, EnvNATSCA: c.CAFile, EnvNATSCert: c.CertFile, EnvNATSKey: c.KeyFile} {
		if path == "" {
			continue
		}
		if f, err := os.Open(path); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", name, path, err))
		} else {
			f.Close()
		}
	}
	return c, errs
}

// redact hides a password in a URL for an error message.
func redact(u string) string {
	if p, err := url.Parse(strings.TrimSpace(u)); err == nil && p.User != nil {
		return p.Redacted()
	}
	return u
}

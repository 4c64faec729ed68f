package cluster

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/keboola/analyst-alerts/gateway/config"
)

// OptionsFrom is a node's options from the gateway's configuration (the
// serve and migrate commands share it).
func OptionsFrom(cfg config.Config, log *slog.Logger) Options {
	c := cfg.Cluster
	var opts []nats.Option
	auth := "no credentials"
	switch {
	case c.Creds != "":
		opts = append(opts, nats.UserCredentials(c.Creds))
		auth = "the .creds file " + c.Creds + " of " + config.EnvNATSCreds
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
		auth = "the token of " + config.EnvNATSToken
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
		auth = fmt.Sprintf("the user %q and the password of %s", c.User, config.EnvNATSPassword)
	case strings.Contains(redactURLs(c.URLs), "***@"):
		auth = "the user and password in " + config.EnvNATSURL
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	return Options{
		URLs: c.URLs, Node: c.Node, Replicas: c.Replicas,
		HistoryLimit: cfg.HistoryLimit, MaxConnsPer: cfg.MaxConnsPer,
		NATS: opts, Auth: auth, Log: log,
	}
}

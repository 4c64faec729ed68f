package cluster

import (
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/keboola/analyst-alerts/gateway/config"
)

// OptionsFrom is a node's options from the gateway's configuration (the
// serve and migrate commands share it).
func OptionsFrom(cfg config.Config, log *slog.Logger) Options {
	c := cfg.Cluster
	var opts []nats.Option
	switch {
	case c.Creds != "":
		opts = append(opts, nats.UserCredentials(c.Creds))
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
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
		NATS: opts, Log: log,
	}
}

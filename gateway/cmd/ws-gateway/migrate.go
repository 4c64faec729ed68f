package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/keboola/analyst-alerts/gateway/cluster"
	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/store"
	"github.com/keboola/analyst-alerts/internal/logsetup"
)

// migrate copies the embedded store's history and revocations into the
// cluster, keeping the epoch and every seq (docs/cluster.md, Migration).
func migrate(args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("quiet", false, "print only the summary")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "ws-gateway migrate: %v\n", err)
		return 2
	}
	if !cfg.Cluster.Enabled() {
		fmt.Fprintf(stderr, "ws-gateway migrate: set %s to the cluster to migrate into\n", config.EnvNATSURL)
		return 2
	}
	// Opening the store applies a journal left by a crash, and fails while
	// a gateway holds it: the gateway must be stopped.
	st, err := store.Open(cfg.StateDir, store.Options{Limit: cfg.HistoryLimit})
	if err != nil {
		fmt.Fprintf(stderr, "ws-gateway migrate: %s: %v\n", config.EnvStateDir, err)
		return 1
	}
	defer st.Close()
	o := cluster.OptionsFrom(cfg, logsetup.New(stderr, cfg.LogFormat, cfg.LogLevel))
	o.Node = "migrate"
	res, err := cluster.Migrate(o, st, func(user string, copied int) {
		if !*quiet {
			fmt.Fprintf(stdout, "  %-24s %d copied\n", user, copied)
		}
	})
	if err != nil {
		fmt.Fprintf(stderr, "ws-gateway migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "migrated epoch %s: %d users, %d notifications copied (%d there already), %d revocations\n",
		res.Epoch, res.Users, res.Records, res.Skipped, res.Revocations)
	return 0
}

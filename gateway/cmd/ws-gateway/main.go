// Command ws-gateway holds the desktop apps' WebSocket connections and
// takes notifications for them on a unix dispatch socket.
//
//	ws-gateway [serve]            run the gateway (configured from the environment)
//	ws-gateway health [--json]    print the running gateway's health; exit 1 when down
//	ws-gateway send --user U --title T --message M [--image-url U] [--script S]
//	ws-gateway migrate            copy the embedded store's history into the NATS cluster
//
// Exit codes: 0 success, 1 the gateway is down or refused, 2 usage or
// configuration error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/keboola/analyst-alerts/gateway/config"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/gateway/server"
	"github.com/keboola/analyst-alerts/internal/envmap"
	"github.com/keboola/analyst-alerts/internal/logsetup"
)

func main() {
	if cmd, _ := command(os.Args[1:]); cmd == "serve" {
		keepSysmonAwake() // sysmon.go
	}
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// command splits the command off args: serve when none is named.
func command(args []string) (string, []string) {
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		return args[0], args[1:]
	}
	return "serve", args
}

const usage = `Usage:
  ws-gateway [serve]                 run the gateway (configuration from the environment)
  ws-gateway health [--json]         print the gateway's health; exit 1 when it is down
  ws-gateway send --user U --title T --message M [--image-url URL] [--script NAME]
                                     dispatch a test notification
  ws-gateway migrate                 copy this machine's history ($WS_GATEWAY_STATE_DIR) into the
                                     cluster ($WS_GATEWAY_NATS_URL), keeping epoch and seqs
                                     (docs/cluster.md); run it with the gateway stopped

Every command takes --socket PATH (default $WS_DISPATCH_SOCKET or /run/ws-gateway/ws.sock).
Environment for serve: see docs/gateway.md.
`

func run(args, environ []string, stdout, stderr io.Writer) int {
	cmd, args := command(args)
	switch cmd {
	case "serve":
		return serve(args, environ, stderr)
	case "health":
		return health(args, environ, stdout, stderr)
	case "send":
		return send(args, environ, stdout, stderr)
	case "migrate":
		return migrate(args, environ, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ws-gateway: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func serve(args, environ []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "ws-gateway: %v\n", err)
		return 2
	}
	log := logsetup.New(stderr, cfg.LogFormat, cfg.LogLevel)
	slog.SetDefault(log)
	g, err := server.New(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "ws-gateway: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := g.Run(ctx); err != nil {
		log.Error("gateway stopped with an error", slog.Any("error", err))
		return 1
	}
	return 0
}

// socketFlag adds --socket with its environment twin.
func socketFlag(fs *flag.FlagSet, environ []string) *string {
	def := protocol.DefaultDispatchSocket
	if v := envmap.Parse(environ)[config.EnvDispatchSocket]; v != "" {
		def = v
	}
	return fs.String("socket", def, "dispatch socket path ($"+config.EnvDispatchSocket+")")
}

func health(args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := socketFlag(fs, environ)
	asJSON := fs.Bool("json", false, "print the health as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := protocol.NewClient(*socket)
	defer c.Close()
	h, err := c.Health(ctx)
	if err != nil {
		// Refused is not down: the gateway may be fine, this user may not ask.
		status, say := "down", "ws-gateway: DOWN: %v\n"
		if refused(err) {
			status, say = "refused", "ws-gateway health: %v\n"
		}
		if *asJSON {
			json.NewEncoder(stdout).Encode(map[string]string{"status": status, "error": err.Error()})
		}
		fmt.Fprintf(stderr, say, err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(h)
		return 0
	}
	fmt.Fprintf(stdout, "gateway: %s (%s)\n", h.Status, *socket)
	if h.Cluster != nil {
		fmt.Fprintf(stdout, "node: %s\nnats: %s %s\nnodes:\n", h.Node, h.Cluster.NATS, h.Cluster.NATSServer)
		for _, n := range h.Cluster.Nodes {
			state := "alive"
			if !n.Alive {
				state = "no heartbeat"
			}
			fmt.Fprintf(stdout, "  %-24s %6d connections  %s\n", n.Name, n.Connections, state)
		}
	}
	fmt.Fprintf(stdout, "connections: %d\n", h.Connections)
	users := make([]string, 0, len(h.Users))
	for u := range h.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		fmt.Fprintf(stdout, "  %-24s %d\n", u, h.Users[u])
	}
	// The runner watcher's overdue users (docs/health.md); none: no line.
	if len(h.OverdueRunners) > 0 {
		fmt.Fprintf(stdout, "runners overdue: %d\n", len(h.OverdueRunners))
		for _, o := range h.OverdueRunners {
			told := ""
			if o.Told {
				told = ", told"
			}
			fmt.Fprintf(stdout, "  %-24s last pass %s, every %s%s\n", o.User, o.LastBeat, o.Every, told)
		}
	}
	return 0
}

// refused says the caller may not do what it asked: the socket's
// permissions keep it out, or the gateway answered 403 (only trusted users
// may read the health or dispatch to others). The error says which.
func refused(err error) bool {
	var se *protocol.StatusError
	return errors.Is(err, protocol.ErrPermissionDenied) || errors.As(err, &se) && se.Status == http.StatusForbidden
}

func send(args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := socketFlag(fs, environ)
	user := fs.String("user", "", "username to notify (required)")
	title := fs.String("title", "", "notification title (required)")
	message := fs.String("message", "", "notification message (required)")
	image := fs.String("image-url", "", "image URL (e.g. /api/notifications/images/x.png)")
	script := fs.String("script", "", "script name shown with the notification")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, f := range []struct{ name, value string }{{"user", *user}, {"title", *title}, {"message", *message}} {
		if f.value == "" {
			fmt.Fprintf(stderr, "ws-gateway send: --%s is required\n\n%s", f.name, usage)
			return 2
		}
	}
	n := protocol.Notification{
		ID:        fmt.Sprintf("test-%d", time.Now().UnixNano()),
		Title:     *title,
		Message:   *message,
		ImageURL:  *image,
		Script:    *script,
		Timestamp: time.Now().UTC().Format(time.RFC3339),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := protocol.NewClient(*socket)
	defer c.Close()
	res, err := c.Dispatch(ctx, *user, n)
	if err != nil {
		fmt.Fprintf(stderr, "ws-gateway send: %v\n", err)
		var se *protocol.StatusError
		if errors.As(err, &se) && se.Status == 400 {
			return 2
		}
		return 1
	}
	fmt.Fprintf(stdout, "sent to %d live connection(s) of %s; stored as #%d (id %s)\n", res.Sent, *user, res.Seq, n.ID)
	return 0
}

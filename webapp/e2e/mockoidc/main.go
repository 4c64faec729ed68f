// Command mockoidc runs a local OpenID Connect provider for the webapp's
// browser tests (github.com/oauth2-proxy/mockoidc, the same provider the Go
// tests use): real discovery, authorization, PKCE-checked token exchange
// and signed ID tokens, on 127.0.0.1 only. It prints one JSON line with
// the issuer, client ID and client secret, then serves until killed.
// Every sign-in is the provider's default user, jane.doe@example.com,
// unless MOCKOIDC_EMAIL names another.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/oauth2-proxy/mockoidc"
)

func main() {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockoidc:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockoidc:", err)
		os.Exit(1)
	}
	if err := m.Start(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, "mockoidc:", err)
		os.Exit(1)
	}
	if email := os.Getenv("MOCKOIDC_EMAIL"); email != "" {
		u := mockoidc.DefaultUser()
		u.Email = email
		// The queue is popped once per sign-in; keep one user per expected sign-in.
		for i := 0; i < 100; i++ {
			m.QueueUser(u)
		}
	}
	c := m.Config()
	_ = json.NewEncoder(os.Stdout).Encode(map[string]string{
		"issuer": c.Issuer, "client_id": c.ClientID, "client_secret": c.ClientSecret,
	})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = m.Shutdown()
}

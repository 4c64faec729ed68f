package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func TestIsAuthOK(t *testing.T) {
	for _, tc := range []struct {
		frame, name string
		want        bool
	}{
		{`{"type":"auth_ok","username":"user7"}`, "user7", true},
		{`{"username":"user7","type":"auth_ok"}`, "user7", true},            // another order: decoded
		{`{"type":"auth_ok","username":"user7","replay":0}`, "user7", true}, // an added field
		{`{"type":"auth_ok","username":"user8"}`, "user7", false},
		{`{"type":"auth_ok","username":"user7x"}`, "user7", false},
		{`{"type":"auth_error","message":"invalid token"}`, "user7", false},
		{`{"type":"auth_ok","username":"user7"`, "user7", false},
		{``, "user7", false},
	} {
		if got := isAuthOK([]byte(tc.frame), tc.name); got != tc.want {
			t.Errorf("isAuthOK(%s, %s) = %v", tc.frame, tc.name, got)
		}
	}
}

// The generator's client against a real gateway: auth_ok for a good
// token, auth_error for a bad one.
func TestRawDialAgainstGateway(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	addr := strings.TrimSuffix(strings.TrimPrefix(gw.WSURL, "ws://"), "/")
	g := &gateway{addr: addr, upgrade: upgradeRequest(addr)}
	for _, tc := range []struct {
		token string
		ok    bool
	}{{gw.Token(t, "user1"), true}, {"not-a-token", false}} {
		auth, _ := json.Marshal(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tc.token})
		frame, err := textFrame(auth)
		if err != nil {
			t.Fatal(err)
		}
		c, err := connect(g, frame, 1)
		if (err == nil) != tc.ok {
			t.Fatalf("token %.20s: connect err = %v, want ok=%v", tc.token, err, tc.ok)
		}
		if c != nil {
			c.ws.c.Close()
		}
	}
}

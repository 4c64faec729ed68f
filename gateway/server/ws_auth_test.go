package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func claims(sub, iss string, iat, exp time.Time) jwt.MapClaims {
	c := jwt.MapClaims{"iat": iat.Unix(), "exp": exp.Unix()}
	if sub != "" {
		c["sub"] = sub
	}
	if iss != "" {
		c["iss"] = iss
	}
	return c
}

func TestAuthRefusesBadTokens(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	now := time.Now()
	good := claims("petr", protocol.DefaultIssuer, now, now.Add(time.Hour))
	sign := func(m jwt.SigningMethod, key any, c jwt.Claims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, token, want string
	}{
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good), "algorithm"},
		{"HS512", sign(jwt.SigningMethodHS512, gw.Secret, good), "algorithm"},
		{"RS256", sign(jwt.SigningMethodRS256, rsaKey, good), "algorithm"},
		{"wrong secret", sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-12345"), good), "signature"},
		{"wrong issuer", sign(jwt.SigningMethodHS256, gw.Secret, claims("petr", "someone-else", now, now.Add(time.Hour))), "issuer"},
		{"no issuer", sign(jwt.SigningMethodHS256, gw.Secret, claims("petr", "", now, now.Add(time.Hour))), "issuer"},
		{"expired", sign(jwt.SigningMethodHS256, gw.Secret, claims("petr", protocol.DefaultIssuer, now.Add(-2*time.Hour), now.Add(-time.Hour))), "expired"},
		{"no subject", sign(jwt.SigningMethodHS256, gw.Secret, claims("", protocol.DefaultIssuer, now, now.Add(time.Hour))), "subject"},
		{"garbage", "not.a.jwt", "malformed"},
		{"no iat", sign(jwt.SigningMethodHS256, gw.Secret, jwt.MapClaims{"sub": "petr", "iss": protocol.DefaultIssuer, "exp": now.Add(time.Hour).Unix()}), "malformed"},
		{"no exp", sign(jwt.SigningMethodHS256, gw.Secret, jwt.MapClaims{"sub": "petr", "iss": protocol.DefaultIssuer, "iat": now.Unix()}), "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, gw.WSURL)
			c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tc.token})
			m := c.next(5 * time.Second)
			if m["type"] != protocol.TypeAuthError {
				t.Fatalf("want auth_error, got %v", m)
			}
			msg, _ := m["message"].(string)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not say %q", msg, tc.want)
			}
			if !fixedTokenRefusals[msg] {
				t.Errorf("message %q is not one of the fixed refusals", msg)
			}
			if m["code"] != protocol.CodeUnauthorized { // the app refreshes the token
				t.Errorf("code %v, want %s", m["code"], protocol.CodeUnauthorized)
			}
			c.expectClosed(5 * time.Second)
		})
	}
}

// The client is told a fixed sentence, never the JSON decoder's complaint
// (which quotes its bytes back); the cause goes to the log.
// fixedTokenRefusals are every message a refused token may get.
var fixedTokenRefusals = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range []error{protocol.ErrTokenMalformed, protocol.ErrTokenAlgorithm, protocol.ErrTokenSignature,
		protocol.ErrTokenExpired, protocol.ErrTokenIssuer, protocol.ErrTokenSubject, protocol.ErrTokenFuture, protocol.ErrTokenLifetime} {
		m["invalid token: "+e.Error()] = true
	}
	return m
}()

func TestAuthRefusesNonAuthFirstFrame(t *testing.T) {
	var logs gatewaytest.LogBuffer
	gw := gatewaytest.Start(t, gatewaytest.Options{Log: &logs})
	for _, first := range []string{`{"type":"pong"}`, `not json`, `{"type":"auth"}`, `[1,2]`, `{"type":"auth","token":7}`} {
		c := dial(t, gw.WSURL)
		c.ws.WriteMessage(websocket.TextMessage, []byte(first))
		m := c.next(5 * time.Second)
		if m["type"] != protocol.TypeAuthError || m["message"] != protocol.ErrNotAuthFrame.Error() || m["code"] != protocol.CodeBadRequest {
			t.Fatalf("first frame %q: want auth_error %q (%s), got %v", first, protocol.ErrNotAuthFrame, protocol.CodeBadRequest, m)
		}
		c.expectClosed(5 * time.Second)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "invalid character 'o' in literal null") {
		if time.Now().After(deadline) {
			t.Fatalf("the decoder's error is not in the log:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuthTimeoutClosesSilentClient(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{AuthTimeout: 300 * time.Millisecond})
	c := dial(t, gw.WSURL)
	start := time.Now()
	m := c.next(5 * time.Second)
	if m["type"] != protocol.TypeAuthError || !strings.Contains(m["message"].(string), "timeout") || m["code"] != protocol.CodeBadRequest {
		t.Fatalf("want auth_error timeout (%s), got %v", protocol.CodeBadRequest, m)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("closed after %v, before the auth timeout", d)
	}
	c.expectClosed(5 * time.Second)
}

// Thousands of connections that never authenticate are all closed by the
// auth timeout, and the gateway still serves a real client afterwards.
// (The cap on pending handshakes is raised to let them all in; it has a
// test of its own, TestPendingHandshakesAreCapped.)
func TestAuthTimeoutUnderFloodOfSilentConnections(t *testing.T) {
	const n = 2000
	gw := gatewaytest.Start(t, gatewaytest.Options{AuthTimeout: 500 * time.Millisecond, MaxPending: n})
	conns := make([]*websocket.Conn, 0, n)
	for i := 0; i < n; i++ {
		ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, ws)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	closed := 0
	for _, ws := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ws.Close()
			ws.SetReadDeadline(time.Now().Add(20 * time.Second))
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					if !strings.Contains(err.Error(), "timeout") {
						mu.Lock()
						closed++
						mu.Unlock()
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	if closed != n {
		t.Fatalf("%d of %d silent connections were closed by the gateway", closed, n)
	}
	authed(t, gw, "after-flood", nil)
}

func TestAtMostFiveConnectionsPerUser(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	for i := 0; i < 5; i++ {
		authed(t, gw, "petr", nil)
	}
	c := dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")})
	m := c.next(5 * time.Second)
	if m["type"] != protocol.TypeAuthError || !strings.Contains(m["message"].(string), "too many") {
		t.Fatalf("6th connection: want auth_error too many, got %v", m)
	}
	c.expectClosed(5 * time.Second)
	// Another user is not affected.
	authed(t, gw, "eva", nil)
	h, err := gw.Client().Health(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if h.Connections != 6 || h.Users["petr"] != 5 || h.Users["eva"] != 1 {
		t.Fatalf("health = %+v", h)
	}
}

func TestMaxConnectionsConfigurable(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{MaxConnsPer: 1})
	first := authed(t, gw, "petr", nil)
	c := dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, "petr")})
	// Not the token's fault: the app must not refresh, only retry later.
	if m := c.next(5 * time.Second); m["type"] != protocol.TypeAuthError || m["code"] != protocol.CodeUnavailable {
		t.Fatalf("want auth_error (%s), got %v", protocol.CodeUnavailable, m)
	}
	// When the first leaves, the slot frees up.
	first.ws.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, _ := gw.Client().Health(t.Context())
		if h.Connections == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("connection not released")
		}
		time.Sleep(20 * time.Millisecond)
	}
	authed(t, gw, "petr", nil)
}

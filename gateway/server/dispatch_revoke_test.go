package server_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

func tokenAt(t *testing.T, gw *gatewaytest.Gateway, user string, iat time.Time) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": user, "iss": gw.Issuer, "iat": iat.Unix(), "exp": iat.Add(protocol.TokenLifetime).Unix(),
	}).SignedString(gw.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRevokeClosesLiveSessionsAndRefusesOldTokens(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{SendQueue: 1024})
	old := tokenAt(t, gw, "petr", time.Now().Add(-time.Hour))
	c := dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: old})
	c.nextOfType(protocol.TypeAuthOK, 5*time.Second)
	other := authed(t, gw, "eva", nil)

	cut := protocol.RevocationCutoff(time.Now())
	res, err := gw.Client().Revoke(t.Context(), "petr", cut)
	if err != nil || res.Closed != 1 {
		t.Fatalf("revoke = %+v, %v", res, err)
	}
	m := c.nextOfType(protocol.TypeAuthError, 5*time.Second)
	if !strings.Contains(m["message"].(string), "revoked") || m["code"] != protocol.CodeTokenRevoked {
		t.Fatalf("revoked client told %v", m)
	}
	c.expectClosed(5 * time.Second)

	refused := func(tok string) {
		t.Helper()
		c := dial(t, gw.WSURL)
		c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tok})
		if m := c.next(5 * time.Second); m["type"] != protocol.TypeAuthError || !strings.Contains(m["message"].(string), "revoked") ||
			m["code"] != protocol.CodeTokenRevoked {
			t.Fatalf("old token: %v", m)
		}
	}
	refused(old)
	// Still refused after a restart.
	gw.Restart(t)
	refused(old)
	// A token issued after the cutoff works.
	fresh := tokenAt(t, gw, "petr", time.Unix(cut, 0))
	c = dial(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: fresh})
	c.nextOfType(protocol.TypeAuthOK, 5*time.Second)
	_ = other
}

func TestRevokeAPIValidation(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	for _, body := range []string{`{`, `{"user":"petr"}`, `{"not_before":5}`} {
		if status, m, _ := rawHTTP(t, gw.Socket, "POST", "/revoke", body); status != 400 || m["error"] == nil || m["code"] != protocol.CodeBadRequest {
			t.Errorf("%s: %d %v", body, status, m)
		}
	}
}

// A revocation that finds the connection's writer busy (here blocked on a
// client that stopped reading) still ends with the auth_error frame and
// the close, sent by that writer once its frame is out, and nothing queued
// after the revocation.
func TestRevokeWhileWriterIsBusy(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{SendQueue: 1024})
	old := tokenAt(t, gw, "petr", time.Now().Add(-time.Hour))
	c := dialSmallReceiveBuffer(t, gw.WSURL)
	c.send(protocol.AuthFrame{Type: protocol.TypeAuth, Token: old})
	c.nextOfType(protocol.TypeAuthOK, 5*time.Second)

	// Fill the socket buffers (~7 MB, more than the gateway's send buffer,
	// at most 4 MiB, and the client's small receive buffer): the client
	// reads nothing meanwhile. Frames stay under MaxFrameBytes. The writer
	// gives up on a frame it cannot write for 10 s (writeWait), so the
	// dispatches run in parallel: on a loaded machine, one after another
	// they took longer than that once the buffers were full.
	big := strings.Repeat("x", 60<<10)
	const sent, workers = 120, 4
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < sent/workers; i++ {
				if _, err := gw.Client().Dispatch(t.Context(), "petr", map[string]string{"title": "big", "message": big}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	res, err := gw.Client().Revoke(t.Context(), "petr", protocol.RevocationCutoff(time.Now()))
	if err != nil || res.Closed != 1 {
		t.Fatalf("revoke = %+v, %v", res, err)
	}
	if r := dispatch(t, gw, "petr", map[string]string{"title": "after-revoke"}); r.Sent != 0 {
		t.Fatalf("dispatch after the revocation reached %d connections", r.Sent)
	}
	got := 0
	for {
		m, err := c.tryNext(10 * time.Second)
		if err != nil {
			t.Fatalf("closed without auth_error after %d notifications: %v", got, err)
		}
		if m["type"] == protocol.TypePing {
			continue
		}
		if m["type"] == protocol.TypeAuthError {
			if !strings.Contains(m["message"].(string), "revoked") {
				t.Fatalf("told %v", m)
			}
			break
		}
		if m["title"] != "big" {
			t.Fatalf("got %v", m["title"])
		}
		got++
	}
	if got == sent {
		t.Fatalf("all %d notifications were written before the revocation: the writer was not busy", sent)
	}
	if err := c.expectClosed(5 * time.Second); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("close = %v, want 1008", err)
	}
}

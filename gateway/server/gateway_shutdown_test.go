package server_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
)

func TestGracefulShutdownClosesClientsWith1001(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	c1 := authed(t, gw, "petr", nil)
	c2 := authed(t, gw, "eva", nil)
	gw.Stop()
	for _, c := range []*wsClient{c1, c2} {
		if err := c.expectClosed(5 * time.Second); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Fatalf("close = %v, want 1001", err)
		}
	}
	if _, err := gw.Client().Health(t.Context()); err == nil {
		t.Fatal("dispatch socket still answers after shutdown")
	}
}

func TestStopRightAfterStart(t *testing.T) {
	for i := 0; i < 20; i++ {
		gw := gatewaytest.Start(t, gatewaytest.Options{})
		gw.Stop()
	}
}

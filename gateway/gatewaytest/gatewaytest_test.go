package gatewaytest_test

import (
	"net"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
)

// A restart whose port is briefly held by another socket waits for it
// instead of failing the test (another test's connection may be given the
// port as its own end while the gateway is down).
func TestRestartWaitsForItsPort(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	addr := gw.WSURL[len("ws://") : len(gw.WSURL)-1]
	gw.Stop()
	squatter, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("hold the port: %v", err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		squatter.Close()
	}()
	gw.Restart(t)
	if got := gw.WSURL; got != "ws://"+addr+"/" {
		t.Fatalf("restarted at %s, want the same port (%s)", got, addr)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("the restarted gateway does not listen: %v", err)
	}
	c.Close()
}

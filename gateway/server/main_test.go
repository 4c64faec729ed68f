package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every gateway a test starts is shut down by the test's cleanup; nothing
// it started may outlive it (connection readers, writers, heartbeat,
// committer).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// net/http's idle keep-alive connections of test clients.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

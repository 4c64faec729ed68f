package protocol_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// A refusal's code and message reach the caller in a StatusError; a body
// that is not an ErrorResponse leaves the status text; no listener is the
// Unavailable error given, with the socket's path.
func TestUnixClientErrors(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/coded":
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":"only trusted callers","code":"forbidden"}`))
		case "/plain":
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("upstream down"))
		default:
			w.Write([]byte(`{"closed":3}`))
		}
	})}
	go srv.Serve(ln)
	down := errors.New("the peer is not running")
	c := protocol.NewUnixClient(sock, protocol.UnixOptions{Peer: "peer", Unavailable: down})
	defer c.Close()
	ctx := context.Background()

	var se *protocol.StatusError
	err = c.Do(ctx, http.MethodPost, "/coded", map[string]string{"a": "b"}, nil)
	if !errors.As(err, &se) || se.Status != 403 || se.Code != protocol.CodeForbidden || se.Message != "only trusted callers" ||
		err.Error() != "peer answered 403: only trusted callers" {
		t.Fatalf("coded refusal: %v (%+v)", err, se)
	}
	err = c.Do(ctx, http.MethodGet, "/plain", nil, nil)
	if !errors.As(err, &se) || se.Status != 502 || se.Code != "" || se.Message != "Bad Gateway" {
		t.Fatalf("plain refusal: %v (%+v)", err, se)
	}
	var out protocol.RevokeResponse
	if err := c.Do(ctx, http.MethodGet, "/ok", nil, &out); err != nil || out.Closed != 3 {
		t.Fatalf("answer: %+v %v", out, err)
	}
	srv.Close()
	if err := c.Do(ctx, http.MethodGet, "/ok", nil, nil); !errors.Is(err, down) || !strings.Contains(err.Error(), sock) {
		t.Fatalf("no listener: %v", err)
	}
}

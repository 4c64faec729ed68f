package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// curl may send "Expect: 100-continue" before a large body (which size
// depends on its version; forced here) and waits up to a second for the
// gateway's go-ahead; with a chunked body it sends no length at all.
// Both must dispatch as a plain body does, and a chunked body over 1 MiB
// must still be refused with 413 and a JSON error.
func TestCurlExpectContinueAndChunkedBodies(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is needed for this test (Debian package curl)")
	}
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	c := authed(t, gw, "petr", nil)
	long := strings.Repeat("x", 4000)
	body := `{"user":"petr","notification":{"title":"long","message":"` + long + `"}}`
	dir := t.TempDir()
	run := func(body string, extra ...string) (string, map[string]any) {
		t.Helper()
		file := filepath.Join(dir, "body.json")
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-sS", "-v", "--unix-socket", gw.Socket, "-X", "POST", "http://localhost/dispatch",
			"-H", "Content-Type: application/json", "--data-binary", "@" + file}, extra...)
		cmd := exec.Command(curl, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", extra, err, stderr.String())
		}
		var res map[string]any
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("curl %v answered %q", extra, out)
		}
		return stderr.String(), res
	}
	for i, extra := range [][]string{
		{"-H", "Expect: 100-continue"},
		{"-H", "Transfer-Encoding: chunked"},
	} {
		trace, res := run(body, extra...)
		if i == 1 && !strings.Contains(trace, "Transfer-Encoding: chunked") {
			t.Fatalf("curl did not send a chunked body; trace:\n%s", trace)
		}
		if res["sent"] != 1.0 || res["seq"] != float64(i+1) {
			t.Fatalf("curl %v answered %v", extra, res)
		}
		m := c.nextOfType(protocol.TypeNotification, 5*time.Second)
		if m["message"] != long {
			t.Fatalf("delivered message of %d bytes, want %d", len(m["message"].(string)), len(long))
		}
	}
	big := `{"user":"petr","notification":{"message":"` + strings.Repeat("x", protocol.MaxDispatchBytes) + `"}}`
	_, res := run(big, "-H", "Transfer-Encoding: chunked")
	if e, _ := res["error"].(string); !strings.Contains(e, "larger than") {
		t.Fatalf("chunked body over 1 MiB answered %v", res)
	}
}

// A client that sends "Expect: 100-continue" and waits gets "100 Continue"
// before it sends the body, then the answer.
func TestDispatchAnswersExpectContinue(t *testing.T) {
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	body := `{"user":"petr","notification":{"title":"x"}}`
	conn, err := net.Dial("unix", gw.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "POST /dispatch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(body))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("before the body: %q %v, want 100 Continue", line, err)
	}
	if line, _ := br.ReadString('\n'); line != "\r\n" {
		t.Fatalf("100 Continue followed by %q", line)
	}
	io.WriteString(conn, body)
	status, answer, err := readResponse(br)
	if err != nil || status != 200 || !strings.Contains(string(answer), `"seq":1`) {
		t.Fatalf("answer %d %s %v", status, answer, err)
	}
}

// readResponse reads one HTTP/1.1 response with a Content-Length body.
func readResponse(br *bufio.Reader) (int, []byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		return 0, nil, fmt.Errorf("answer without Content-Length")
	}
	body := make([]byte, length)
	_, err = io.ReadFull(br, body)
	return status, body, err
}

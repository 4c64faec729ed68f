package testusers

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// CurlUnix makes one HTTP request on a unix socket with curl running as u,
// so the server sees u's real credentials (SO_PEERCRED), and returns the
// status and the body.
func CurlUnix(t testing.TB, u User, socket, method, path, body string) (int, string) {
	t.Helper()
	args := []string{"-sS", "--max-time", "20", "--unix-socket", socket, "-X", method, "-w", "\n%{http_code}", "http://localhost" + path}
	if body != "" {
		args = append(args, "-H", "Content-Type: application/json", "--data-binary", body)
	}
	cmd := exec.Command("curl", args...)
	RunAs(cmd, u)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl as %s %s %s: %v", u.Name, method, path, err)
	}
	text := strings.TrimRight(string(out), "\n")
	i := strings.LastIndexByte(text, '\n')
	status, err := strconv.Atoi(text[i+1:])
	if err != nil {
		t.Fatalf("curl output %q", out)
	}
	return status, text[:max(i, 0)]
}

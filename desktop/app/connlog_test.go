package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// lockedBuffer is a log destination written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines is every logged line holding part, in order.
func (l *lockedBuffer) lines(part string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, part) {
			out = append(out, line)
		}
	}
	return out
}

// The app logs each change of its page's connection state, the last line
// being the page's latest: the desktop e2e tests (desktop/e2e waitLive)
// wait on "connected" with catching_up false instead of sleeping past the
// replay after auth_ok.
func TestPageConnectionStateIsLogged(t *testing.T) {
	var buf lockedBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	e := newEnv(t)
	for i := range 3 { // a replay to catch up with
		e.dispatch(t, protocol.Notification{ID: fmt.Sprint("before", i), Title: "missed"})
	}
	a, _ := e.startSignedIn(t, "petr")
	const msg = `"msg":"page connection state"`
	waitFor(t, "the log to say connected with the replay delivered", func() bool {
		l := buf.lines(msg)
		return len(l) > 0 && strings.Contains(l[len(l)-1], `"state":"connected"`) && strings.Contains(l[len(l)-1], `"catching_up":false`)
	})
	if s := a.State().Connection; s.CatchingUp || len(a.API().Notifications()) != 3 {
		t.Fatalf("logged as caught up, but the page's state is %+v with %d alerts", s, len(a.API().Notifications()))
	}
	lines := buf.lines(msg)
	if !strings.Contains(lines[0], `"state":"signed_out"`) {
		t.Fatalf("first logged state: %s", lines[0])
	}
	var prev string
	for _, line := range lines {
		var f struct {
			State      string `json:"state"`
			CatchingUp bool   `json:"catching_up"`
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatal(err)
		}
		if cur := fmt.Sprint(f); cur == prev {
			t.Fatalf("the same state logged twice in a row: %s", line)
		} else {
			prev = cur
		}
	}
	t.Logf("%d changes logged", len(lines))
}

package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/internal/testbin"
)

// BenchmarkAckPoll is the Telegram bot's poll of its open alerts, as the
// gateway pays for it: 1,000 open alerts (100 users with 10 each, every
// user's history full at the default 200 records), asked about one GET
// /notification per alert (the bot before) or in one POST
// /notifications/acks (now). The gateway is the real ws-gateway process;
// gw-cpu-ms/poll is its user+system CPU (/proc/PID/stat) per poll, so the
// client's share is not in it.
func BenchmarkAckPoll(b *testing.B) {
	const users, open, history = 100, 10, 200
	bin, err := testbin.Build(b.TempDir(), "github.com/keboola/analyst-alerts/gateway/cmd/ws-gateway")
	if err != nil {
		b.Fatal(err)
	}
	sockDir, err := os.MkdirTemp("", "gwbench")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	socket := filepath.Join(sockDir, "ws.sock")
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "WS_GATEWAY_PORT=0", "WS_GATEWAY_HOST=127.0.0.1", "WS_DISPATCH_SOCKET="+socket,
		"WS_GATEWAY_STATE_DIR="+b.TempDir(), "DESKTOP_JWT_SECRET=bench-secret-0123456789abcdef0123456789abcdef",
		"WS_GATEWAY_HISTORY_LIMIT="+strconv.Itoa(history), "WS_GATEWAY_LOG_LEVEL=error", "WS_GATEWAY_BOT_SOCKET=off")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	gc := protocol.NewClient(socket)
	defer gc.Close()
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := gc.Health(ctx); err == nil {
			break
		} else if time.Now().After(deadline) {
			b.Fatal(err)
		}
	}
	var qs []protocol.AckQuery
	for u := range users {
		user := fmt.Sprint("user", u)
		for i := range history {
			id := fmt.Sprint("old", i)
			if i >= history-open {
				id = fmt.Sprint("open", i)
				qs = append(qs, protocol.AckQuery{User: user, ID: id})
			}
			if _, err := gc.Dispatch(ctx, user, protocol.Notification{ID: id, Title: "Revenue dropped", Message: "by 12 % since yesterday"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	poll := map[string]func() int{
		"per-alert GET": func() int {
			for _, q := range qs {
				if _, err := gc.Notification(ctx, q.User, q.ID); err != nil {
					b.Fatal(err)
				}
			}
			return len(qs)
		},
		"batched POST": func() int {
			st, err := gc.NotificationAcks(ctx, qs)
			if err != nil || len(st) != len(qs) || st[0].Status != protocol.AckStateOK {
				b.Fatal(err)
			}
			return (len(qs) + protocol.MaxAckQueries - 1) / protocol.MaxAckQueries
		},
	}
	for _, name := range []string{"per-alert GET", "batched POST"} {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			requests := 0
			cpu0 := processCPU(b, cmd.Process.Pid)
			for b.Loop() {
				requests += poll[name]()
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/poll")
			b.ReportMetric((processCPU(b, cmd.Process.Pid)-cpu0).Seconds()*1000/float64(b.N), "gw-cpu-ms/poll")
		})
	}
}

// processCPU is the user+system CPU time process pid has used.
func processCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name (which may hold spaces) start at ')'.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

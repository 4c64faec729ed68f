// Package notifybottest runs the real notify-bot, as a process, against the
// stand-in Bot API (webapp/telegram/botapitest), for the tests of the bot
// and of the parts that talk to it (the runner, the webapp).
package notifybottest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/internal/testbin"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
)

// Token is the stand-in bot's token (the shape BotFather gives).
const Token = "4242424242:AAH7test-secret_PART_that-never-appears-in-logs"

// BotUsername is the stand-in bot's @name.
const BotUsername = "alerts_test_bot"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds notify-bot once per test process (with -race) and returns
// it. The binary lives at one path per user and source tree in the
// temporary folder, replaced by rename, so test processes running at once
// never see half a file, two checkouts never run each other's bot, and
// runs leave one binary behind, not one each.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, src, _, _ := runtime.Caller(0)
		tree := sha256.Sum256([]byte(src))
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("notifybottest-%d-%x", os.Getuid(), tree[:6]))
		if buildErr = os.MkdirAll(dir, 0o700); buildErr != nil {
			return
		}
		tmp, err := os.MkdirTemp(dir, "build")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(tmp)
		built, err := testbin.Build(tmp, "github.com/keboola/analyst-alerts/webapp/cmd/notify-bot", "-race")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "notify-bot")
		buildErr = os.Rename(built, binPath)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Bot is a running notify-bot and its stand-in Bot API.
type Bot struct {
	API     *botapitest.Server
	APIURL  string
	Socket  string
	DataDir string
	Env     []string // the bot's environment; change it before Restart
	Logs    *gatewaytest.LogBuffer

	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{}
}

// Options change the defaults.
type Options struct {
	DataDir string   // "": a fresh temporary folder
	Env     []string // added to the bot's environment
}

// Start starts the stand-in API and the bot, and waits until the bot
// answers on its socket. Both stop when the test ends.
func Start(t testing.TB, o Options) *Bot {
	t.Helper()
	api := botapitest.New(Token, BotUsername)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	// Unix socket paths are limited to ~108 bytes; t.TempDir() can be long.
	sockDir, err := os.MkdirTemp("", "bot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	b := &Bot{API: api, APIURL: srv.URL, Socket: filepath.Join(sockDir, "bot.sock"), DataDir: o.DataDir,
		Logs: &gatewaytest.LogBuffer{}, t: t}
	b.Env = append([]string{"PATH=" + os.Getenv("PATH"), "TELEGRAM_BOT_TOKEN=" + Token, "TELEGRAM_API_URL=" + srv.URL,
		"NOTIFY_BOT_SOCKET=" + b.Socket, "DATA_DIR=" + o.DataDir, "LOG_LEVEL=debug",
		"WEBAPP_PUBLIC_URL=http://portal.test"}, o.Env...)
	b.start()
	t.Cleanup(b.Stop)
	return b
}

func (b *Bot) start() {
	b.t.Helper()
	b.cmd = exec.Command(Binary(b.t))
	b.cmd.Env = b.Env
	b.cmd.Stdout, b.cmd.Stderr = b.Logs, b.Logs
	if err := b.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(b.cmd, b.done)
	if err := b.waitHealthy(15 * time.Second); err != nil {
		b.t.Fatalf("notify-bot did not start: %v\n%s", err, b.Logs)
	}
}

// waitHealthy waits until the bot answers on its socket and has reached
// the Bot API (it knows its @name).
func (b *Bot) waitHealthy(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		h, err := b.Health()
		if err == nil && h.BotUsername == "" {
			err = fmt.Errorf("not connected to the Bot API yet")
		}
		if err == nil {
			return nil
		}
		select {
		case <-b.done:
			return fmt.Errorf("the process exited")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond) // polling a socket that is not there yet
	}
}

// Health is the bot's /health answer.
func (b *Bot) Health() (botclient.Health, error) {
	c := b.Client()
	defer c.Close()
	return c.Health(context.Background())
}

// Stop ends the bot with SIGTERM (graceful) and waits.
func (b *Bot) Stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(20 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
		b.t.Errorf("notify-bot did not stop on SIGTERM within 20 s\n%s", b.Logs)
	}
}

// Kill9 ends the bot with SIGKILL: no shutdown code runs.
func (b *Bot) Kill9() {
	_ = b.cmd.Process.Kill()
	<-b.done
}

// Restart starts the bot again with b.Env (after Stop or Kill9).
func (b *Bot) Restart() {
	b.t.Helper()
	b.Stop()
	b.start()
}

// Exited reports whether the process has ended.
func (b *Bot) Exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// OpenToEveryone lets any user reach the bot's socket (its folder is 0700
// and the socket 0770, both the test's), so a test can call it as another
// user and see what the bot's peer-credential rules make of that caller.
// The bot runs as the test's user (root, as make test runs it). Call it
// again after a Restart.
func (b *Bot) OpenToEveryone(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test runs callers as other users: it needs root (as make test runs it)")
	}
	if err := os.Chmod(filepath.Dir(b.Socket), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(b.Socket, 0o777); err != nil {
		t.Fatal(err)
	}
}

// Client is a socket client for the bot.
func (b *Bot) Client() *botclient.Client { return botclient.New(b.Socket) }

// WriteUsers writes telegram_users.json as the old bot did (before Start,
// with Options.DataDir, or between restarts).
func WriteUsers(t testing.TB, dir string, users map[string]int64) {
	t.Helper()
	var parts []string
	for u, chat := range users {
		parts = append(parts, fmt.Sprintf("  %q: {\"chat_id\": %d, \"linked_at\": \"2025-06-01T08:00:00.000001\"}", u, chat))
	}
	body := "{\n" + strings.Join(parts, ",\n") + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "telegram_users.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

package notifyconfig

import (
	"os/user"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := Load([]string{"HOME=/home/petr"})
	if err != nil {
		t.Fatal(err)
	}
	me, _ := user.Current()
	if c.Home != "/home/petr" || c.User != me.Username || c.Timeout != 60*time.Second || c.AnalystGroup != "dataread" ||
		c.BotSocket != "/run/notify-bot/bot.sock" || c.DispatchSocket != "/run/ws-gateway/ws.sock" ||
		c.ImagesDir != "/data/notifications/images" || c.MaxImageBytes != 10<<20 || c.ImageMaxAge != 30*24*time.Hour || c.LogMaxMB != 1 ||
		c.FailAfter != 3 || c.RunnerEvery != 5*time.Minute {
		t.Fatalf("%+v", c)
	}
}

func TestOverridesAndSudo(t *testing.T) {
	c, err := Load([]string{"HOME=/home/caller", "SUDO_USER=www-data", "NOTIFY_USER=petr", "NOTIFY_SCRIPT_TIMEOUT_SECONDS=2.5",
		"NOTIFY_ANALYST_GROUP=analysts", "NOTIFY_BOT_SOCKET=/tmp/b.sock", "WS_DISPATCH_SOCKET=/tmp/w.sock",
		"NOTIFICATION_IMAGES_DIR=/srv/img", "NOTIFY_MAX_IMAGE_BYTES=1000", "NOTIFY_IMAGE_MAX_AGE_DAYS=7", "NOTIFY_LOG_MAX_MB=3",
		"NOTIFY_FAIL_ALERT_AFTER=5", "NOTIFY_RUNNER_EVERY=1s"})
	if err != nil {
		t.Fatal(err)
	}
	me, _ := user.Current()
	// Under sudo HOME may still be the caller's: the password database wins.
	if string(c.Home) != me.HomeDir || c.User != "petr" || c.Timeout != 2500*time.Millisecond || c.AnalystGroup != "analysts" ||
		c.BotSocket != "/tmp/b.sock" || c.DispatchSocket != "/tmp/w.sock" || c.ImagesDir != "/srv/img" ||
		c.MaxImageBytes != 1000 || c.ImageMaxAge != 7*24*time.Hour || c.LogMaxMB != 3 ||
		c.FailAfter != 5 || c.RunnerEvery != time.Second {
		t.Fatalf("%+v", c)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	for _, kv := range []string{"NOTIFY_SCRIPT_TIMEOUT_SECONDS=0", "NOTIFY_SCRIPT_TIMEOUT_SECONDS=abc", "NOTIFY_MAX_IMAGE_BYTES=-1",
		"NOTIFY_IMAGE_MAX_AGE_DAYS=0", "NOTIFY_LOG_MAX_MB=x", "NOTIFICATION_IMAGES_DIR=img", "LOG_LEVEL=loud", "HOME=rel",
		"NOTIFY_FAIL_ALERT_AFTER=0", "NOTIFY_FAIL_ALERT_AFTER=x", "NOTIFY_RUNNER_EVERY=500ms", "NOTIFY_RUNNER_EVERY=5"} {
		name, _, _ := strings.Cut(kv, "=")
		_, err := Load([]string{"HOME=/home/petr", kv})
		if err == nil || !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: %v", kv, err)
		}
	}
}

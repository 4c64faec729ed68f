package config

import (
	"strings"
	"testing"
	"time"
)

func TestRunnerWatcherVariables(t *testing.T) {
	c, err := Load([]string{secret})
	if err != nil || c.BotSocket != "/run/notify-bot/bot.sock" || c.RunnerSilentAfter != 3 || c.WatchTick != time.Second {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = Load([]string{secret, "WS_GATEWAY_BOT_SOCKET=off", "WS_GATEWAY_RUNNER_SILENT_AFTER=5"})
	if err != nil || c.BotSocket != "off" || c.RunnerSilentAfter != 5 {
		t.Fatalf("set: %+v %v", c, err)
	}
	if _, err := Load([]string{secret, "WS_GATEWAY_RUNNER_SILENT_AFTER=0"}); err == nil || !strings.Contains(err.Error(), "WS_GATEWAY_RUNNER_SILENT_AFTER") {
		t.Fatalf("0 intervals: %v", err)
	}
}

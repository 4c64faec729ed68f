package config

import (
	"strings"
	"testing"
	"time"
)

const secret = "DESKTOP_JWT_SECRET=0123456789abcdef0123456789abcdef"

func TestDefaultsAreTheSeeds(t *testing.T) {
	c, err := Load([]string{secret})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr() != "127.0.0.1:8765" || c.DispatchSocket != "/run/ws-gateway/ws.sock" || c.Heartbeat != 30*time.Second ||
		c.MaxMissed != 3 || c.MaxConnsPer != 5 || c.Issuer != "data-analyst" || c.AuthTimeout != 10*time.Second ||
		c.StateDir != "/var/lib/ws-gateway" || c.HistoryLimit != 200 || c.Fsync {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEveryVariableIsRead(t *testing.T) {
	c, err := Load([]string{secret, "WS_GATEWAY_HOST=0.0.0.0", "WS_GATEWAY_PORT=9000", "WS_DISPATCH_SOCKET=/tmp/x.sock",
		"DESKTOP_JWT_ISSUER=me", "HEARTBEAT_INTERVAL_SECONDS=15", "HEARTBEAT_TIMEOUT_MISSED=2", "MAX_CONNECTIONS_PER_USER=9",
		"WS_GATEWAY_STATE_DIR=/tmp/st", "WS_GATEWAY_HISTORY_LIMIT=50", "WS_GATEWAY_AUTH_TIMEOUT_SECONDS=4",
		"WS_GATEWAY_SEND_QUEUE=64", "WS_GATEWAY_FSYNC=true", "WS_GATEWAY_LOG_LEVEL=debug", "WS_GATEWAY_LOG_FORMAT=json"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr() != "0.0.0.0:9000" || c.DispatchSocket != "/tmp/x.sock" || c.Issuer != "me" || c.Heartbeat != 15*time.Second ||
		c.MaxMissed != 2 || c.MaxConnsPer != 9 || c.StateDir != "/tmp/st" || c.HistoryLimit != 50 ||
		c.AuthTimeout != 4*time.Second || c.SendQueue != 64 || !c.Fsync || c.LogLevel.String() != "DEBUG" || c.LogFormat != "json" {
		t.Fatalf("loaded: %+v", c)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	for env, want := range map[string]string{
		"":                              "DESKTOP_JWT_SECRET is required",
		"DESKTOP_JWT_SECRET=short":      "too short",
		"HEARTBEAT_INTERVAL_SECONDS=-1": "HEARTBEAT_INTERVAL_SECONDS",
		"MAX_CONNECTIONS_PER_USER=0":    "MAX_CONNECTIONS_PER_USER",
		"WS_GATEWAY_PORT=70000":         "WS_GATEWAY_PORT",
		"WS_GATEWAY_FSYNC=maybe":        "WS_GATEWAY_FSYNC",
		"WS_GATEWAY_LOG_LEVEL=loud":     "WS_GATEWAY_LOG_LEVEL",
	} {
		envs := []string{env}
		if !strings.HasPrefix(env, "DESKTOP") && env != "" {
			envs = append(envs, secret)
		}
		if _, err := Load(envs); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to mention %q", env, err, want)
		}
	}
}

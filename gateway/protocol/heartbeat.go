package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// PathHeartbeat is where notify-runner reports each pass (POST). As with
// /dispatch, an analyst's runner may only report for its own user.
const PathHeartbeat = "/heartbeat"

// Bounds on a runner's interval (NOTIFY_RUNNER_EVERY).
const (
	MinRunnerEvery = time.Second
	MaxRunnerEvery = 24 * time.Hour
)

// HeartbeatRequest is the body of POST /heartbeat: one runner pass of User
// happened; the next is due Every later (a Go duration, "5m"). Outcomes
// counts the pass's scripts by protocol.Outcome* (for the metrics).
type HeartbeatRequest struct {
	User     string         `json:"user"`
	Every    string         `json:"every"`
	Outcomes map[string]int `json:"outcomes,omitempty"`
}

// HeartbeatResponse answers a heartbeat.
type HeartbeatResponse struct {
	OK bool `json:"ok"`
}

// OverdueRunner is a user whose runner stopped reporting, in the gateway's
// GET /health (ours). Told says the user has been alerted.
type OverdueRunner struct {
	User     string `json:"user"`
	LastBeat string `json:"last_beat"` // RFC 3339 UTC
	Every    string `json:"every"`
	Told     bool   `json:"told"`
}

// maxOutcomeCount bounds a count in a heartbeat (a pass runs a folder of
// scripts, not millions).
const maxOutcomeCount = 100000

// ParseHeartbeat decodes and checks a POST /heartbeat body and returns the
// interval it names.
func ParseHeartbeat(body []byte) (HeartbeatRequest, time.Duration, error) {
	var req HeartbeatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return req, 0, fmt.Errorf("invalid JSON: %w", err)
	}
	if req.User == "" {
		return req, 0, errors.New("missing user")
	}
	if len(req.User) > MaxUserBytes || !utf8.ValidString(req.User) || hasControl(req.User) {
		return req, 0, errors.New("user must be a plain name of at most 256 bytes")
	}
	every, err := time.ParseDuration(req.Every)
	if err != nil || every < MinRunnerEvery || every > MaxRunnerEvery {
		return req, 0, fmt.Errorf("every %q: want a Go duration between %s and %s", short(req.Every), MinRunnerEvery, MaxRunnerEvery)
	}
	for k, n := range req.Outcomes {
		if !validOutcome(k) || n < 0 || n > maxOutcomeCount {
			return req, 0, fmt.Errorf("outcomes: %q=%d is not an outcome (%v) with a count from 0 to %d", short(k), n, Outcomes, maxOutcomeCount)
		}
	}
	return req, every, nil
}

func validOutcome(o string) bool {
	for _, v := range Outcomes {
		if o == v {
			return true
		}
	}
	return false
}

func short(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}

// Heartbeat reports one runner pass.
func (c *Client) Heartbeat(ctx context.Context, req HeartbeatRequest) error {
	var out HeartbeatResponse
	return c.unix.Do(ctx, http.MethodPost, PathHeartbeat, req, &out)
}

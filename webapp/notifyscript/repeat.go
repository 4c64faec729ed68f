package notifyscript

// repeat_until_ack (issue 14): a script asks for its alert to be sent again
// every interval until someone acknowledges it on any channel, for at most
// MaxRepeatFor. The runner keeps the alert to repeat, and the
// acknowledgement once it learns of it, in the script's state file, so the
// script's next run can read them.

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Bounds of repeat_until_ack.
const (
	MinRepeatEvery = time.Minute
	MaxRepeatFor   = 24 * time.Hour
)

// ParseRepeat reads repeat_until_ack: the cooldown's syntax ("15m", "1h"),
// at least MinRepeatEvery and at most MaxRepeatFor.
func ParseRepeat(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, fmt.Errorf("repeat_until_ack %q: use a number and a unit m, h or d, at least 1m (like 15m)", short(s))
	}
	d, err := ParseCooldown(s)
	if err != nil {
		return 0, fmt.Errorf("repeat_until_ack %q: use a number and a unit m, h or d, at least 1m (like 15m)", short(s))
	}
	if d < MinRepeatEvery || d > MaxRepeatFor {
		return 0, fmt.Errorf("repeat_until_ack %q must be between %s and %s", short(s), FormatCooldown(MinRepeatEvery), FormatCooldown(MaxRepeatFor))
	}
	return d, nil
}

// AckState is what the state file remembers of the script's last alert:
// its id, its acknowledgement once the runner has learnt of it, and, while
// it is to be repeated, the alert itself.
type AckState struct {
	// LastAlertID is the id of the last alert a sink took.
	LastAlertID string `json:"last_alert_id,omitempty"`
	// AckedAt and AckedVia record its acknowledgement (desktop, telegram,
	// web or api); empty while it is not acknowledged.
	AckedAt  *time.Time `json:"acked_at,omitempty"`
	AckedVia string     `json:"acked_via,omitempty"`
	// Repeat is the alert to send again while it is not acknowledged.
	Repeat *Repeat `json:"repeat,omitempty"`
}

// Repeat is an alert the runner sends again every Every until it is
// acknowledged or MaxRepeatFor after FirstSent.
type Repeat struct {
	ID        string          `json:"id"`
	Title     string          `json:"title,omitempty"`
	Message   string          `json:"message,omitempty"`
	ImageURL  string          `json:"image_url,omitempty"`
	ImagePath string          `json:"image_path,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	Every     string          `json:"every"`
	FirstSent time.Time       `json:"first_sent"`
	LastSent  time.Time       `json:"last_sent"`
	Count     int             `json:"count"` // repeats sent so far
}

// Due says whether r is to be sent again at now: its interval has passed
// since the last send, and MaxRepeatFor has not since the first. over is
// true once MaxRepeatFor has passed (the repeat ends).
func (r Repeat) Due(now time.Time) (due, over bool) {
	every, err := ParseRepeat(r.Every)
	if err != nil || !now.Before(r.FirstSent.Add(MaxRepeatFor)) {
		return false, true
	}
	return !now.Before(r.LastSent.Add(every)), false
}

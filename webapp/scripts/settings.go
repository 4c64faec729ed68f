package scripts

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// settingsTimeout bounds snooze, unsnooze and quiet: they write one small
// file.
const settingsTimeout = 15 * time.Second

// SnoozeResult is what snooze and unsnooze print.
type SnoozeResult = notifyscript.SnoozeResult

// QuietHours is a user's quiet hours.
type QuietHours = notifyscript.QuietHours

// Snooze snoozes user's script (a name or a stem) until a duration ("1h")
// from now or an RFC 3339 time. The helper checks both and refuses bad
// input (400) with nothing changed.
func (r *Runner) Snooze(ctx context.Context, user, script, until string) (SnoozeResult, error) {
	return r.snooze(ctx, user, "snooze", script, until)
}

// Unsnooze ends user's snooze of script now.
func (r *Runner) Unsnooze(ctx context.Context, user, script string) (SnoozeResult, error) {
	return r.snooze(ctx, user, "unsnooze", script)
}

func (r *Runner) snooze(ctx context.Context, user string, args ...string) (SnoozeResult, error) {
	var res SnoozeResult
	out, err := r.call(ctx, settingsTimeout, user, args...)
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, apperr.New(protocol.CodeHelperFailed, http.StatusBadGateway,
			"the scripts helper printed something that is not a snooze result").Wrap(err)
	}
	return res, nil
}

// Quiet returns user's quiet hours (nil: none).
func (r *Runner) Quiet(ctx context.Context, user string) (*QuietHours, error) {
	return r.quiet(ctx, user, "quiet")
}

// SetQuiet sets user's quiet hours: window "HH:MM-HH:MM", zone an IANA name
// ("" for the server's zone). Bad input is refused (400), nothing changed.
func (r *Runner) SetQuiet(ctx context.Context, user, window, zone string) (*QuietHours, error) {
	args := []string{"quiet", window}
	if zone != "" {
		args = append(args, "--tz", zone)
	}
	return r.quiet(ctx, user, args...)
}

// QuietOff removes user's quiet hours.
func (r *Runner) QuietOff(ctx context.Context, user string) error {
	_, err := r.quiet(ctx, user, "quiet", "off")
	return err
}

func (r *Runner) quiet(ctx context.Context, user string, args ...string) (*QuietHours, error) {
	out, err := r.call(ctx, settingsTimeout, user, args...)
	if err != nil {
		return nil, err
	}
	var res notifyscript.QuietResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, apperr.New(protocol.CodeHelperFailed, http.StatusBadGateway,
			"the scripts helper printed something that is not quiet hours").Wrap(err)
	}
	return res.Quiet, nil
}

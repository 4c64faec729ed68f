package main

import (
	"io"
	"time"

	"github.com/keboola/analyst-alerts/webapp/notifyconfig"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

// quietArgsOK: "quiet", "quiet off", "quiet HH:MM-HH:MM", "quiet
// HH:MM-HH:MM --tz ZONE" (the window itself is checked later, with a
// clearer error).
func quietArgsOK(a []string) bool {
	switch len(a) {
	case 0, 1:
		return true
	case 3:
		return a[1] == "--tz" && a[0] != "off"
	}
	return false
}

// settings runs snooze, unsnooze and quiet: each reads and changes the
// user's settings file under its lock, and changes nothing on bad input.
func settings(cfg notifyconfig.Config, args []string, now time.Time, stdout io.Writer) int {
	home := cfg.Home
	switch args[0] {
	case "snooze", "unsnooze":
		name, err := notifyscript.ScriptArg(args[1])
		if err != nil {
			return failErr(stdout, err, nil)
		}
		if _, err := home.Find(name); err != nil {
			return failErr(stdout, err, nil)
		}
		stem := notifyscript.Stem(name)
		var until time.Time
		if args[0] == "snooze" {
			if until, err = notifyscript.ParseSnoozeUntil(args[2], now); err != nil {
				return failErr(stdout, err, nil)
			}
		}
		_, err = home.UpdateSettings(now, func(s *notifyscript.Settings) error {
			if args[0] == "unsnooze" {
				delete(s.Snoozed, stem)
				return nil
			}
			if s.Snoozed == nil {
				s.Snoozed = map[string]time.Time{}
			}
			s.Snoozed[stem] = until
			return nil
		})
		if err != nil {
			return failErr(stdout, err, nil)
		}
		res := notifyscript.SnoozeResult{Script: stem}
		if args[0] == "snooze" {
			res.SnoozedUntil = &until
		}
		return printJSON(stdout, res)
	}
	// quiet
	if len(args) == 1 {
		s, err := home.LoadSettings()
		if err != nil {
			return failErr(stdout, err, nil)
		}
		return printJSON(stdout, notifyscript.QuietResult{Quiet: s.Quiet})
	}
	var q *notifyscript.QuietHours
	if args[1] != "off" {
		zone := ""
		if len(args) == 4 {
			zone = args[3]
		}
		parsed, err := notifyscript.ParseQuietHours(args[1], zone)
		if err != nil {
			return failErr(stdout, err, nil)
		}
		q = &parsed
	}
	s, err := home.UpdateSettings(now, func(s *notifyscript.Settings) error {
		s.Quiet = q
		return nil
	})
	if err != nil {
		return failErr(stdout, err, nil)
	}
	return printJSON(stdout, notifyscript.QuietResult{Quiet: s.Quiet})
}

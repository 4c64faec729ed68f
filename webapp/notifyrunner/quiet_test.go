package notifyrunner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/botclient/bottest"
	"github.com/keboola/analyst-alerts/webapp/notifyscript"
)

const testUser = "petr"

// quietEnv is a runner over real scripts in a temporary home, delivering
// to the bot socket's stand-in and a real gateway, on a clock the test
// sets.
type quietEnv struct {
	t     *testing.T
	home  notifyscript.Home
	bot   *bottest.Server
	r     *Runner
	clock time.Time
	app   chan protocol.NotificationFrame
	gc    *protocol.Client // the gateway's dispatch socket
}

func newQuietEnv(t *testing.T, start time.Time) *quietEnv {
	e := &quietEnv{t: t, home: notifyscript.Home(t.TempDir()), clock: start}
	if err := os.MkdirAll(e.home.ScriptsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	e.bot = bottest.Start(t)
	gw := gatewaytest.Start(t, gatewaytest.Options{})
	bc := botclient.New(e.bot.Socket)
	t.Cleanup(bc.Close)
	gc := gw.Client()
	t.Cleanup(gc.Close)
	e.gc = gc
	e.r = &Runner{Home: e.home, User: testUser, Timeout: 30 * time.Second, ImagesDir: t.TempDir(),
		Sinks: []Sink{TelegramSink{Bot: bc}, GatewaySink{Client: gc}},
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:   func() time.Time { return e.clock }}
	e.app = connect(t, gw)
	return e
}

// connect is a desktop app on the gateway; its frames arrive on the channel.
func connect(t *testing.T, gw *gatewaytest.Gateway) chan protocol.NotificationFrame {
	ws, _, err := websocket.DefaultDialer.Dial(gw.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: gw.Token(t, testUser)}); err != nil {
		t.Fatal(err)
	}
	var ok protocol.AuthOK
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK {
		t.Fatalf("auth: %+v %v", ok, err)
	}
	frames := make(chan protocol.NotificationFrame, 64)
	go func() {
		for {
			var f protocol.NotificationFrame
			if err := ws.ReadJSON(&f); err != nil {
				return
			}
			switch f.Type {
			case protocol.TypeNotification:
				frames <- f
			case protocol.TypePing:
				_ = ws.WriteJSON(map[string]string{"type": protocol.TypePong})
			}
		}
	}()
	return frames
}

// alert writes a script that prints fields.
func (e *quietEnv) alert(name string, fields map[string]any) {
	b, _ := json.Marshal(fields)
	if err := os.WriteFile(e.home.ScriptPath(name), []byte("import sys\nsys.stdout.write("+strconv.Quote(string(b))+")\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// pass runs the runner once at the clock's time and returns each script's status.
func (e *quietEnv) pass() map[string]Status {
	e.t.Helper()
	out, err := e.r.RunAll(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]Status{}
	for _, o := range out {
		m[o.Script] = o.Status
	}
	return m
}

// frames waits for the next n frames the app receives, then checks that no
// other follows them.
func (e *quietEnv) frames(n int) []protocol.NotificationFrame {
	e.t.Helper()
	var got []protocol.NotificationFrame
	for len(got) < n {
		select {
		case f := <-e.app:
			got = append(got, f)
		case <-time.After(15 * time.Second):
			e.t.Fatalf("the app got %d frames, want %d: %+v", len(got), n, got)
		}
	}
	select {
	case f := <-e.app:
		e.t.Fatalf("unexpected frame %+v", f)
	case <-time.After(200 * time.Millisecond):
	}
	return got
}

// botRequests returns the bot requests since the last call.
func (e *quietEnv) botRequests(seen *int) []bottest.Request {
	all := e.bot.Requests()
	r := all[*seen:]
	*seen = len(all)
	return r
}

// A snoozed script still runs (its state stays current) but nothing is
// delivered; its cooldown still counts, so "held back" counts the alerts
// that would have come. When the snooze ends, one alert says how many, then
// the script alerts as before, and the summary does not come again.
func TestSnoozeHoldsBackThenOneSummary(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e := newQuietEnv(t, t0)
	e.alert("noisy.py", map[string]any{"notify": true, "title": "Noisy", "cooldown": "15m"})
	e.alert("other.py", map[string]any{"notify": true, "title": "Other", "cooldown": "0"})
	if _, err := e.home.UpdateSettings(t0, func(s *notifyscript.Settings) error {
		s.Snoozed = map[string]time.Time{"noisy": t0.Add(time.Hour)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, step := range []struct {
		at   time.Duration
		want Status
	}{{0, StatusSnoozed}, {5 * time.Minute, StatusCooldown}, {20 * time.Minute, StatusSnoozed}} {
		e.clock = t0.Add(step.at)
		if st := e.pass(); st["noisy.py"] != step.want || st["other.py"] != StatusNotified {
			t.Fatalf("pass %d: %v", i, st)
		}
		if f := e.frames(1); f[0].Title != "Other" {
			t.Fatalf("pass %d: %+v", i, f)
		}
		if r := e.botRequests(&seen); len(r) != 1 {
			t.Fatalf("pass %d: bot got %+v", i, r)
		}
	}
	st, err := e.home.LoadState("noisy")
	if err != nil || st.HeldBack != 2 || st.LastRun == nil || !st.LastRun.Equal(t0.Add(20*time.Minute)) || st.LastNotified != nil {
		t.Fatalf("state while snoozed: %+v %v", st, err)
	}

	e.clock = t0.Add(time.Hour) // the snooze ends
	e.pass()
	f := e.frames(3)
	if f[0].Title != "2 alerts held back" || f[0].Script != "noisy" || f[1].Title != "Noisy" || f[2].Title != "Other" {
		t.Fatalf("after the snooze: %+v", f)
	}
	if r := e.botRequests(&seen); len(r) != 3 || r[0].Script != "noisy" || r[1].Script != "noisy" || r[0].Text != "<b>2 alerts held back</b>\nThe snooze of noisy has ended. While it was snoozed it ran as usual and would have alerted 2 times.\n<i>noisy</i>" {
		t.Fatalf("bot after the snooze: %+v", r)
	}
	e.clock = t0.Add(2 * time.Hour)
	e.pass()
	if f := e.frames(2); f[0].Title != "Noisy" || f[1].Title != "Other" {
		t.Fatalf("the summary came again: %+v", f)
	}
}

// Unsnoozing early ends it the same way: one summary at the next pass.
func TestUnsnoozeSendsTheSummaryAtTheNextPass(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e := newQuietEnv(t, t0)
	e.alert("noisy.py", map[string]any{"notify": true, "title": "Noisy", "cooldown": "0"})
	snooze := func(s *notifyscript.Settings) error {
		s.Snoozed = map[string]time.Time{"noisy": t0.Add(24 * time.Hour)}
		return nil
	}
	if _, err := e.home.UpdateSettings(t0, snooze); err != nil {
		t.Fatal(err)
	}
	e.pass()
	e.frames(0)
	if _, err := e.home.UpdateSettings(t0, func(s *notifyscript.Settings) error { delete(s.Snoozed, "noisy"); return nil }); err != nil {
		t.Fatal(err)
	}
	e.clock = t0.Add(time.Minute)
	e.pass()
	if f := e.frames(2); f[0].Title != "1 alert held back" || f[1].Title != "Noisy" {
		t.Fatalf("%+v", f)
	}
}

// In quiet hours an alert is delivered silently (frame "silent":true,
// Telegram disable_notification) and counted; an urgent one comes as usual
// and is not counted. At the first pass after they end, one summary, not
// silent, then alerts as usual.
func TestQuietHoursSilentUrgentAndSummary(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	night := time.Date(2026, 1, 10, 23, 30, 0, 0, prague)
	e := newQuietEnv(t, night)
	e.alert("a_normal.py", map[string]any{"notify": true, "title": "Normal", "cooldown": "0"})
	e.alert("b_urgent.py", map[string]any{"notify": true, "title": "Urgent", "cooldown": "0", "urgent": true})
	q, err := notifyscript.ParseQuietHours("22:00-07:00", "Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.home.UpdateSettings(night, func(s *notifyscript.Settings) error { s.Quiet = &q; return nil }); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, at := range []time.Time{night, night.Add(3 * time.Hour)} { // 23:30 and 02:30
		e.clock = at
		e.pass()
		f := e.frames(2)
		if f[0].Title != "Normal" || !f[0].Silent || f[0].Urgent || f[1].Title != "Urgent" || f[1].Silent || !f[1].Urgent {
			t.Fatalf("pass %d: %+v", i, f)
		}
		r := e.botRequests(&seen)
		if len(r) != 2 || !r[0].DisableNotification || r[1].DisableNotification {
			t.Fatalf("pass %d: bot got %+v", i, r)
		}
	}
	e.clock = time.Date(2026, 1, 11, 7, 0, 0, 0, prague) // the end is not quiet
	e.pass()
	f := e.frames(3)
	if f[0].Title != "2 alerts during quiet hours" || f[0].Silent || f[1].Title != "Normal" || f[1].Silent {
		t.Fatalf("after quiet hours: %+v", f)
	}
	if r := e.botRequests(&seen); len(r) != 3 || r[0].DisableNotification || r[0].Text != "<b>2 alerts during quiet hours</b>\n2 alerts arrived silently during your quiet hours; they are in your history." {
		t.Fatalf("bot after quiet hours: %+v", r)
	}
	e.clock = e.clock.Add(time.Hour)
	e.pass()
	if f := e.frames(2); f[0].Title != "Normal" {
		t.Fatalf("the summary came again: %+v", f)
	}
}

// Repeats (repeat_until_ack) pass the same checks as first alerts: in quiet
// hours a repeat is silent and counted for the summary, an urgent script's
// repeat rings; a snoozed script's repeat is held (not sent, not counted:
// the same alert stays due) and goes out, still silent in quiet hours, at
// the first pass after the snooze; after quiet hours it rings again.
func TestRepeatsObeySnoozeAndQuietHours(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 10, 21, 50, 0, 0, prague)
	e := newQuietEnv(t, t0)
	e.r.Acks = e.gc
	e.alert("disk.py", map[string]any{"notify": true, "title": "Disk full", "cooldown": "1d", "repeat_until_ack": "15m"})
	e.alert("fire.py", map[string]any{"notify": true, "title": "Fire", "cooldown": "1d", "repeat_until_ack": "15m", "urgent": true})
	seen := 0
	type want struct {
		title          string
		repeat, silent bool
	}
	at := func(clock time.Time, ws ...want) {
		t.Helper()
		e.clock = clock
		e.pass()
		f := e.frames(len(ws))
		r := e.botRequests(&seen)
		if len(r) != len(ws) {
			t.Fatalf("%s: bot got %+v, want %v", clock.Format("15:04"), r, ws)
		}
		for i, w := range ws {
			if f[i].Title != w.title || f[i].Repeat != w.repeat || f[i].Silent != w.silent || r[i].DisableNotification != w.silent {
				t.Fatalf("%s: frame %d %+v, bot %+v, want %+v", clock.Format("15:04"), i, f[i], r[i], w)
			}
		}
	}
	at(t0, want{"Disk full", false, false}, want{"Fire", false, false})
	fireID := func() string {
		st, err := e.home.LoadState("fire")
		if err != nil {
			t.Fatal(err)
		}
		return st.LastAlertID
	}()

	q, err := notifyscript.ParseQuietHours("22:00-07:00", "Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.home.UpdateSettings(t0, func(s *notifyscript.Settings) error { s.Quiet = &q; return nil }); err != nil {
		t.Fatal(err)
	}
	at(t0.Add(15*time.Minute), want{"Disk full", true, true}, want{"Fire", true, false}) // 22:05

	if _, err := e.home.UpdateSettings(t0, func(s *notifyscript.Settings) error {
		s.Snoozed = map[string]time.Time{"disk": t0.Add(70 * time.Minute)} // until 23:00
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	at(t0.Add(30*time.Minute), want{"Fire", true, false}) // 22:20: disk's repeat held
	if _, err := e.gc.Ack(context.Background(), testUser, fireID, protocol.ViaAPI); err != nil {
		t.Fatal(err)
	}
	at(t0.Add(45 * time.Minute))                              // 22:35: disk held, fire acknowledged
	at(t0.Add(70*time.Minute), want{"Disk full", true, true}) // 23:00: the snooze is over, still quiet
	if st, err := e.home.LoadState("disk"); err != nil || st.HeldBack != 0 || st.Repeat == nil || st.Repeat.Count != 2 {
		t.Fatalf("disk's state: %+v %v", st, err)
	}

	// 07:00: the summary counts the two silent repeats, then disk's repeat rings.
	at(time.Date(2026, 1, 11, 7, 0, 0, 0, prague), want{"2 alerts during quiet hours", false, false}, want{"Disk full", true, false})
}

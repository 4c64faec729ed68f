package notifybot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/google/uuid"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/images"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/notifyimage"
	"github.com/keboola/analyst-alerts/webapp/scripts"
	"github.com/keboola/analyst-alerts/webapp/telegram/outbox"
)

// Scripts runs notify-scripts as the user (*scripts.Runner: sudo -n -u in
// production, directly in development), as the webapp does.
type Scripts interface {
	List(ctx context.Context, user string) ([]protocol.ScriptInfo, error)
	Run(ctx context.Context, user, name string) (scripts.Result, error)
}

// Gateway is the dispatch socket (*protocol.Client).
type Gateway interface {
	Dispatch(ctx context.Context, user string, notification any) (protocol.DispatchResponse, error)
	Health(ctx context.Context) (protocol.HealthResponse, error)
}

// UserCommands answers a linked user's /scripts, /run, /status, /test and
// the Run buttons. A run's alert goes to Telegram (through the outbox, like
// any alert) and to the desktop app (the gateway), as the old bot did.
type UserCommands struct {
	Scripts   Scripts
	Gateway   Gateway
	DataDir   string // desktop_users.json (the webapp's) for /status
	ImagesDir string // where notify-scripts publishes charts
	Box       *outbox.Outbox
	Sender    *Sender
	Log       *slog.Logger
	Now       func() time.Time

	mu      sync.Mutex
	running map[string]bool // one run at a time per user
	wg      sync.WaitGroup
}

// runPrefix is the Run button's callback data: run:<script name>.
const runPrefix = "run:"

// Help lists the commands.
func (u *UserCommands) Help() string {
	return "/scripts: your scripts, their last run, a Run button each\n/run &lt;name&gt;: run a script now (the alert comes here and to the desktop app)\n/status: link, desktop app and its live connections\n/test: a sample alert with a chart, to check the setup"
}

// Wait returns when the runs started by commands have ended.
func (u *UserCommands) Wait() { u.wg.Wait() }

// Command answers a linked user's command.
func (u *UserCommands) Command(ctx context.Context, user string, chat int64, cmd, arg string) (Reply, bool) {
	switch cmd {
	case "scripts":
		return u.scriptList(ctx, user, ""), true
	case "status":
		return u.status(ctx, user), true
	case "run":
		if arg == "" {
			return Reply{Text: "Which script? <code>/run name</code>; /scripts lists them."}, true
		}
		return u.run(ctx, user, chat, arg), true
	case "test":
		return u.test(user, chat), true
	}
	return Reply{}, false
}

// Button answers a Run button.
func (u *UserCommands) Button(ctx context.Context, user string, chat int64, data string) Reply {
	name, ok := strings.CutPrefix(data, runPrefix)
	if !ok {
		return Reply{Text: "That button is no longer in use."}
	}
	return u.run(ctx, user, chat, name)
}

func (u *UserCommands) scriptList(ctx context.Context, user, head string) Reply {
	list, err := u.Scripts.List(ctx, user)
	if err != nil {
		return Reply{Text: head + "Could not list your scripts: " + html.EscapeString(apperr.From(err).Message)}
	}
	if len(list) == 0 {
		return Reply{Text: head + "No scripts yet. Put <code>*.py</code> files in <code>~/user/notifications/</code> on the server."}
	}
	var b strings.Builder
	b.WriteString(head + "<b>Your scripts</b>\n")
	var rows [][]models.InlineKeyboardButton
	for _, s := range list {
		last := "never run"
		if s.LastRun != nil {
			last = "last run " + *s.LastRun
		}
		mark, tail := scriptHealth(s.Health)
		fmt.Fprintf(&b, "%s <code>%s</code>: %s%s\n", mark, html.EscapeString(s.Stem), html.EscapeString(last), tail)
		// Telegram's callback data is at most 64 bytes.
		if data := runPrefix + s.Name; len(data) <= 64 {
			rows = append(rows, []models.InlineKeyboardButton{{Text: "Run " + s.Stem, CallbackData: data}})
		}
	}
	return Reply{Text: strings.TrimSuffix(b.String(), "\n"), Buttons: rows}
}

func (u *UserCommands) status(ctx context.Context, user string) Reply {
	var b strings.Builder
	fmt.Fprintf(&b, "<b>Status</b>\nTelegram: linked as <b>%s</b>\n", html.EscapeString(user))
	desktop := "not linked"
	if st, err := links.Open(u.DataDir); err == nil {
		if since, ok := st.Linked(user); ok {
			desktop = "linked since " + since.UTC().Format("2 Jan 2006, 15:04 UTC")
		}
	} else {
		desktop = "unknown (" + html.EscapeString(err.Error()) + ")"
	}
	fmt.Fprintf(&b, "Desktop app: %s\n", desktop)
	hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if h, err := u.Gateway.Health(hctx); err == nil {
		fmt.Fprintf(&b, "Live desktop connections: %d\n", h.Users[user])
	} else {
		b.WriteString("Live desktop connections: unknown (the gateway is not reachable)\n")
	}
	return u.scriptList(ctx, user, b.String()+"\n")
}

// run starts a script in the background (it may take a minute; the bot
// keeps answering meanwhile) and answers at once.
func (u *UserCommands) run(ctx context.Context, user string, chat int64, name string) Reply {
	name = strings.TrimSpace(name)
	if !strings.HasSuffix(name, ".py") {
		name += ".py" // the stem, as /scripts shows it
	}
	if err := scripts.ValidName(name); err != nil {
		return Reply{Text: "Not a script name: " + html.EscapeString(apperr.From(err).Message)}
	}
	u.mu.Lock()
	if u.running == nil {
		u.running = map[string]bool{}
	}
	if u.running[user] {
		u.mu.Unlock()
		return Reply{Text: "A script of yours is already running; wait for its result."}
	}
	u.running[user] = true
	u.mu.Unlock()
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer func() { u.mu.Lock(); delete(u.running, user); u.mu.Unlock() }()
		u.runNow(ctx, user, chat, name)
	}()
	return Reply{Text: fmt.Sprintf("Running <code>%s</code>…", html.EscapeString(scripts.Stem(name)))}
}

func (u *UserCommands) runNow(ctx context.Context, user string, chat int64, name string) {
	res, err := u.Scripts.Run(ctx, user, name)
	if err != nil {
		u.queue(user, chat, fmt.Sprintf("<code>%s</code> failed: %s", html.EscapeString(scripts.Stem(name)),
			html.EscapeString(apperr.From(err).Message)), nil)
		return
	}
	if !res.Notify {
		u.queue(user, chat, fmt.Sprintf("Ran <code>%s</code>: no alert this time (notify: false).", html.EscapeString(scripts.Stem(name))), nil)
		return
	}
	n := struct {
		protocol.Notification
		Data json.RawMessage `json:"data,omitempty"`
	}{Notification: protocol.Notification{ID: uuid.NewString(), Title: res.Title, Message: res.Message,
		Script: scripts.Stem(name), Timestamp: u.Now().UTC().Format(time.RFC3339)}, Data: res.Data}
	var photo []byte
	if img, ok := strings.CutPrefix(res.ImageURL, protocol.PathImagesPrefix); ok && images.ValidName(img) {
		n.ImageURL = res.ImageURL
		if data, err := os.ReadFile(filepath.Join(u.ImagesDir, img)); err == nil {
			if _, err := notifyimage.Check(data); err == nil {
				photo = data
			}
		}
		if photo == nil {
			u.Log.Warn("chart not readable by the bot; sending the alert without it", slog.String("user", user), slog.String("image", img))
		}
	}
	// The desktop app first (it is quick), then Telegram through the outbox.
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := u.Gateway.Dispatch(dctx, user, n); err != nil && !errors.Is(err, protocol.ErrGatewayUnavailable) {
		u.Log.Error("dispatch to the gateway failed", slog.String("user", user), slog.String("script", name), slog.Any("error", err))
	}
	if photo != nil {
		u.queue(user, chat, botclient.Caption(res.Title, res.Message), photo)
		return
	}
	u.queue(user, chat, botclient.FormatHTML(res.Title, res.Message, scripts.Stem(name)), nil)
}

// queue puts a message for chat in the outbox: HTML text, or a photo with
// a plain caption.
func (u *UserCommands) queue(user string, chat int64, text string, photo []byte) {
	m := &outbox.Message{ChatID: chat, User: user, Text: text, ParseMode: "HTML", Queued: u.Now().UTC()}
	if photo != nil {
		m.Photo, m.PhotoName, m.ParseMode = photo, "chart.png", ""
	}
	if err := u.Box.Put(m); err != nil {
		u.Log.Error("could not queue a command's result", slog.String("user", user), slog.Any("error", err))
		return
	}
	u.Sender.Enqueue(outbox.Entry{Seq: m.Seq, ChatID: chat})
}

// test queues a sample alert with a chart, through the same outbox and
// limits as every alert.
func (u *UserCommands) test(user string, chat int64) Reply {
	u.queue(user, chat, "Test alert for "+user+"\nIf you see this chart, alerts reach this chat.", sampleChart())
	return Reply{Text: "Sending a test alert with a chart…"}
}

// sampleChart draws a small bar chart as a PNG.
func sampleChart() []byte {
	const w, h = 240, 120
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bars := []int{60, 72, 55, 80, 40, 30, 22}
	for x := range w {
		i := x * len(bars) / w
		for y := range h {
			c := color.RGBA{255, 255, 255, 255}
			if x%(w/len(bars)) > 4 && y >= h-bars[i] {
				c = color.RGBA{31, 111, 235, 255}
				if i >= 4 {
					c = color.RGBA{214, 48, 49, 255}
				}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

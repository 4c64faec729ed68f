package botclient_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/botclient/bottest"
)

func TestSendAndSendPhoto(t *testing.T) {
	bot := bottest.Start(t)
	c := botclient.New(bot.Socket)
	defer c.Close()
	ctx := context.Background()
	text := botclient.FormatHTML(`Revenue <script>alert(1)</script> & "co"`, "down 20%\n<a href=x>click</a>", "revenue_check")
	if err := c.Send(ctx, botclient.SendRequest{User: "petr", Text: text, ParseMode: botclient.ParseModeHTML}); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "c.png")
	if err := os.WriteFile(photo, []byte("png bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.SendPhoto(ctx, botclient.SendPhotoRequest{User: "petr", PhotoPath: photo, Caption: botclient.Caption("T", "M")}); err != nil {
		t.Fatal(err)
	}
	reqs := bot.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	want := "<b>Revenue &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;co&#34;</b>\ndown 20%\n&lt;a href=x&gt;click&lt;/a&gt;\n<i>revenue_check</i>"
	if reqs[0].Path != "/send" || reqs[0].User != "petr" || reqs[0].ParseMode != "HTML" || reqs[0].Text != want {
		t.Fatalf("send: %+v\nwant text %q", reqs[0], want)
	}
	if reqs[1].Path != "/send_photo" || reqs[1].Caption != "T\nM" || string(reqs[1].Photo) != "png bytes" {
		t.Fatalf("send_photo: %+v", reqs[1])
	}

	bot.FailWith(502)
	var se *botclient.StatusError
	if err := c.Send(ctx, botclient.SendRequest{User: "petr", Text: "x"}); !errors.As(err, &se) || se.Status != 502 {
		t.Fatalf("failing bot: %v", err)
	}
	bot.Stop()
	if err := c.Send(ctx, botclient.SendRequest{User: "petr", Text: "x"}); !errors.Is(err, botclient.ErrUnavailable) {
		t.Fatalf("stopped bot: %v", err)
	}
}

func TestFormatLimits(t *testing.T) {
	long := strings.Repeat("<", 5000)
	text := botclient.FormatHTML("t", long, "s")
	// Telegram counts the parsed text: "&lt;" is one character there.
	parsed := strings.NewReplacer("&lt;", "<", "<b>", "", "</b>", "", "<i>", "", "</i>", "").Replace(text)
	if n := utf8.RuneCountInString(parsed); n > botclient.MaxTextRunes {
		t.Fatalf("parsed text has %d characters", n)
	}
	if strings.Contains(text, "&l…") || !strings.Contains(text, "&lt;…") {
		t.Fatal("cut inside an entity")
	}
	if c := botclient.Caption("t", long); utf8.RuneCountInString(c) != botclient.MaxCaptionRunes {
		t.Fatalf("caption has %d characters", utf8.RuneCountInString(c))
	}
	if got := botclient.FormatHTML("", "", ""); got != "(empty alert)" {
		t.Fatalf("empty alert: %q", got)
	}
}

package botclient_test

import (
	"context"
	"errors"
	"html"
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
	if err := c.SendPhoto(ctx, botclient.SendPhotoRequest{User: "petr", PhotoPath: photo, Caption: botclient.Caption("T<", "M&"), ParseMode: botclient.ParseModeHTML}); err != nil {
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
	if reqs[1].Path != "/send_photo" || reqs[1].Caption != "<b>T&lt;</b>\nM&amp;" || reqs[1].ParseMode != "HTML" || string(reqs[1].Photo) != "png bytes" {
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

// parsed is the text Telegram shows for an HTML message of ours: the markup
// gone, the entities turned back into characters.
func parsed(s string) string {
	return html.UnescapeString(strings.NewReplacer("<b>", "", "</b>", "", "<i>", "", "</i>", "").Replace(s))
}

func TestFormatLimits(t *testing.T) {
	long := strings.Repeat("<", 5000)
	text := botclient.FormatHTML("t", long, "s")
	if n := botclient.UTF16Len(text); n > botclient.MaxTextUnits {
		t.Fatalf("text has %d UTF-16 units", n)
	}
	if strings.Contains(text, "&l…") || !strings.Contains(text, "&lt;…") {
		t.Fatal("cut inside an entity")
	}
	if got := botclient.FormatHTML("", "", ""); got != "(empty alert)" {
		t.Fatalf("empty alert: %q", got)
	}
	if got := botclient.Caption("", ""); got != "" {
		t.Fatalf("empty caption: %q", got)
	}
}

// Telegram counts UTF-16 code units: an emoji such as 📉 (U+1F4C9) is two.
// Text of 4,000 emoji is 4,000 characters but 8,000 units; cut by
// characters it was refused by Telegram as too long. Text that escaping
// makes longer ('&' is "&amp;") is measured as sent. No cut splits a
// surrogate pair or an entity.
func TestFormatCountsUTF16UnitsAfterEscaping(t *testing.T) {
	for name, message := range map[string]string{
		"emoji":         strings.Repeat("📉", 4000),
		"emoji and amp": strings.Repeat("📉&", 3000),
		"mixed":         strings.Repeat("é<😀>", 2000),
		"amp":           strings.Repeat("&", 4000),
	} {
		title := "Revenue 📉 & <b>co</b>"
		text := botclient.FormatHTML(title, message, "revenue_check")
		if n := botclient.UTF16Len(text); n > botclient.MaxTextUnits || n < botclient.MaxTextUnits-8 {
			t.Errorf("%s: text is %d UTF-16 units, want at most %d and close to it", name, n, botclient.MaxTextUnits)
		}
		if !utf8.ValidString(text) || !strings.HasSuffix(text, "…\n<i>revenue_check</i>") {
			t.Errorf("%s: bad cut: …%q", name, text[len(text)-40:])
		}
		// What Telegram shows is a prefix of the message, whole characters.
		body := strings.TrimSuffix(strings.SplitN(parsed(text), "\n", 2)[1], "…\nrevenue_check")
		if !strings.HasPrefix(message, body) || !strings.HasPrefix(parsed(text), "Revenue 📉 & <b>co</b>\n") {
			t.Errorf("%s: shown text is not a prefix of the message", name)
		}

		caption := botclient.Caption(title, message)
		if n := botclient.UTF16Len(caption); n > botclient.MaxCaptionUnits || n < botclient.MaxCaptionUnits-8 {
			t.Errorf("%s: caption is %d UTF-16 units", name, n)
		}
		shown := strings.TrimSuffix(strings.SplitN(parsed(caption), "\n", 2)[1], "…")
		if !strings.HasPrefix(message, shown) {
			t.Errorf("%s: caption is not a prefix of the message", name)
		}
	}
	// A short alert is left whole.
	if got := botclient.FormatHTML("📉", "😀 & co", "x"); got != "<b>📉</b>\n😀 &amp; co\n<i>x</i>" {
		t.Fatalf("short alert: %q", got)
	}
	if got := botclient.EscapeHTML("a&b", 5); got != "a…" {
		t.Fatalf("no room for the entity: %q", got)
	}
	if got := botclient.EscapeHTML("a😀b", 3); got != "a…" {
		t.Fatalf("no room for the surrogate pair: %q", got)
	}
}

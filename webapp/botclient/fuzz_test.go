package botclient

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFormatHTML: whatever the text, the message and the caption fit
// Telegram's limits in UTF-16 units, the only markup in the message is ours
// (<b>, </b>, <i>, </i>); every '<', '>' and '&' of the text is escaped, and
// an entity is never cut in half.
func FuzzFormatHTML(f *testing.F) {
	f.Add("Revenue <b>drop</b>", "a & b <script>", "x_y")
	f.Add("", strings.Repeat("&", 5000), "")
	f.Add("📉", strings.Repeat("😀&", 3000), "s")
	f.Fuzz(func(t *testing.T, title, message, script string) {
		if !utf8.ValidString(title) || !utf8.ValidString(message) || !utf8.ValidString(script) {
			return // the runner hands over valid UTF-8 only
		}
		out := FormatHTML(title, message, script)
		if n := UTF16Len(out); n > MaxTextUnits {
			t.Fatalf("%d UTF-16 units", n)
		}
		if c := Caption(title, message); UTF16Len(c) > MaxCaptionUnits {
			t.Fatalf("caption of %d UTF-16 units", UTF16Len(c))
		}
		bare := strings.NewReplacer("<b>", "", "</b>", "", "<i>", "", "</i>", "").Replace(out)
		if strings.ContainsAny(bare, "<>") {
			t.Fatalf("markup left in %q", out)
		}
		for i := strings.IndexByte(bare, '&'); i >= 0; i = strings.IndexByte(bare, '&') {
			rest := bare[i:]
			ok := false
			for _, e := range []string{"&amp;", "&lt;", "&gt;", "&#34;", "&#39;"} {
				ok = ok || strings.HasPrefix(rest, e)
			}
			if !ok {
				t.Fatalf("bare or cut entity at %q in %q", rest, out)
			}
			bare = rest[1:]
		}
	})
}

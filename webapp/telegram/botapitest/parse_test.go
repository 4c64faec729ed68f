package botapitest

import "testing"

// The stand-in refuses what Telegram refuses, so a bot that sends broken
// markup fails its tests here and not in production.
func TestParseLikeTelegram(t *testing.T) {
	for _, tc := range []struct {
		text, mode string
		ok         bool
		plain      string
	}{
		{"*bold* and _it_ `code`", "Markdown", true, "bold and it code"},
		{"revenue_check failed", "Markdown", false, ""},
		{"a * b", "Markdown", false, ""},
		{"[link](http://x) [not a link", "Markdown", true, "link [not a link"},
		{"<b>x</b> &lt;i&gt; &amp; 5 > 3", "HTML", true, "x xix x 5 > 3"},
		{"<b>x", "HTML", false, ""},
		{"<script>x</script>", "HTML", false, ""},
		{"<b>x</i>", "HTML", false, ""},
		{"anything *_<", "", true, "anything *_<"},
		{"x", "BBCode", false, ""},
	} {
		plain, err := parse(tc.text, tc.mode)
		if (err == nil) != tc.ok || (tc.ok && plain != tc.plain) {
			t.Errorf("parse(%q, %q) = %q, %v", tc.text, tc.mode, plain, err)
		}
	}
}

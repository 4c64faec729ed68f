package notifyscript

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzParseOutput: any stdout either is refused with a bad_output error or
// gives text that holds no control character (but newline/tab in the
// message), text and data within the bounds, and an output that Fit leaves
// as it is.
func FuzzParseOutput(f *testing.F) {
	for _, s := range []string{`{"notify": true, "title": "a\u0000b", "message": "x\ny", "cooldown": "1h", "data": {}}`,
		`{"notify": false}`, `{}`, `[1]`, `{"notify": true} x`, `{"notify": true, "data": null}`, "\xff", `{"notify": true, "title": " \u00e9\u0085 ", "data": {"a": "<&>"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := ParseOutput(in)
		if err != nil {
			if CodeOf(err) != CodeBadOutput {
				t.Fatalf("error with code %s: %v", CodeOf(err), err)
			}
			return
		}
		for _, r := range out.Title {
			if unicode.IsControl(r) {
				t.Fatalf("control character %q in title %q", r, out.Title)
			}
		}
		for _, r := range out.Message {
			if unicode.IsControl(r) && r != '\n' && r != '\t' {
				t.Fatalf("control character %q in message", r)
			}
		}
		if utf8.RuneCountInString(out.Title) > MaxTitleRunes || utf8.RuneCountInString(out.Message) > MaxMessageRunes {
			t.Fatal("text over its bound")
		}
		if !utf8.ValidString(out.Title) || !utf8.ValidString(out.Message) {
			t.Fatal("invalid UTF-8 passed through")
		}
		if len(out.Data) > MaxDataBytes {
			t.Fatalf("data of %d bytes", len(out.Data))
		}
		// Fitting again (the webapp does) changes nothing.
		if again := out.Fit(); again.Title != out.Title || again.Message != out.Message ||
			string(again.Data) != string(out.Data) || len(again.Warnings) != len(out.Warnings) {
			t.Fatalf("Fit is not idempotent: %+v then %+v", out, again)
		}
	})
}

// FuzzValidName: an accepted name is a plain file name in the scripts
// folder, never a path out of it.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"a.py", "../a.py", "a/b.py", ".py", "a..py", "a.py\x00", "-rf.py"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidName(name) != nil {
			return
		}
		h := Home("/home/u")
		if filepath.Dir(h.ScriptPath(name)) != h.ScriptsDir() || filepath.Base(name) != name ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") || !strings.HasSuffix(name, ".py") {
			t.Fatalf("accepted %q", name)
		}
	})
}

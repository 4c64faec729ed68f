package shell

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestEscapeMarkupShowsTheTextAsItself(t *testing.T) {
	in := `Revenue <b>drop</b> & <a href="https://evil">click</a> <img src="http://evil/x.png">`
	got := escapeMarkup(in)
	if strings.ContainsAny(got, "<>") || got != `Revenue &lt;b&gt;drop&lt;/b&gt; &amp; &lt;a href="https://evil"&gt;click&lt;/a&gt; &lt;img src="http://evil/x.png"&gt;` {
		t.Fatalf("%q", got)
	}
	// What a markup-reading server shows is the original text.
	var v struct {
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal([]byte("<b>"+got+"</b>"), &v); err != nil || v.Text != in {
		t.Fatalf("decoded %q %v", v.Text, err)
	}
}

// TestDefangToastKeepsTextInsideTheTemplates: go-toast puts the text into
// <text><![CDATA[...]]></text>, and its fallback that XML into a PowerShell
// @"..."@ here-string. Defanged text can close neither.
func TestDefangToastKeepsTextInsideTheTemplates(t *testing.T) {
	for _, in := range []string{
		`]]></text><image src="https://evil/pixel.png"/><text><![CDATA[`,
		"x\n\"@\nStart-Process calc\n$template = @\"",
		"$(Start-Process calc) ${env:USERPROFILE} `$x",
	} {
		got := defangToast(in)
		if strings.Contains(got, "]]>") || strings.ContainsAny(got, "$`\"") {
			t.Errorf("%q -> %q", in, got)
		}
		doc := "<text><![CDATA[" + got + "]]></text>"
		var v struct {
			Text string `xml:",chardata"`
		}
		if err := xml.Unmarshal([]byte(doc), &v); err != nil || v.Text != got {
			t.Errorf("%q does not stay one text node: %q %v", got, v.Text, err)
		}
	}
}

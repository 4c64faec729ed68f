package shell

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"git.sr.ht/~jackmordaunt/go-toast/v2/tmpl"
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

// TestDefangedTextInGoToastsOwnTemplates renders go-toast's real templates
// (the ones Wails' Windows notifications use, via toast.Notification.Push)
// with hostile text: the XML has exactly the title and the body as its two
// texts, and the PowerShell fallback's here-string holds that XML with
// nothing PowerShell would expand. An upgrade of go-toast that changes its
// templates is checked here too.
func TestDefangedTextInGoToastsOwnTemplates(t *testing.T) {
	title := `Revenue ]]></text></binding></visual><actions><action content="x" arguments="y"/></actions><visual><binding template="ToastGeneric"><text><![CDATA[`
	body := "down\n\"@\n$(Start-Process calc) ${env:USERPROFILE} `$x\n@\""
	dTitle, dBody := windowsText(title, body)

	var x bytes.Buffer
	if err := tmpl.XMLTemplate.Execute(&x, map[string]any{
		"ActivationType": "foreground", "ActivationArguments": "YmFzZTY0", "Duration": "short",
		"Audio": "ms-winsoundevent:Notification.Default", "Loop": false,
		"Title": dTitle, "Body": dBody,
	}); err != nil {
		t.Fatal(err)
	}
	var toast struct {
		Texts   []string `xml:"visual>binding>text"`
		Actions []struct {
			Content string `xml:"content,attr"`
		} `xml:"actions>action"`
	}
	if err := xml.Unmarshal(x.Bytes(), &toast); err != nil {
		t.Fatalf("toast XML does not parse: %v\n%s", err, x.String())
	}
	if len(toast.Texts) != 2 || toast.Texts[0] != dTitle || toast.Texts[1] != dBody || len(toast.Actions) != 0 {
		t.Fatalf("the text left its elements: %q, actions %v", toast.Texts, toast.Actions)
	}

	var ps bytes.Buffer
	if err := tmpl.ScriptTemplate.Execute(&ps, map[string]any{"AppID": "Analyst Alerts", "XML": x.String()}); err != nil {
		t.Fatal(err)
	}
	script := ps.String()
	start := strings.Index(script, "@\"\n")
	end := strings.LastIndex(script, "\n\"@")
	if start < 0 || end < start || script[start+3:end] != x.String() {
		t.Fatalf("the here-string does not hold exactly the toast XML:\n%s", script)
	}
	if here := script[start+3 : end]; strings.ContainsAny(here, "$`") || strings.Contains(here, "\n\"@") {
		t.Fatalf("PowerShell would expand or end the here-string early:\n%s", here)
	}
}

package protocol

import (
	"strings"
	"testing"
)

func TestDeepLinkRoundTrip(t *testing.T) {
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwZXRyIn0.sig_-x"
	link := DeepLink("", tok)
	if link != "keboola-analyst://auth?token="+tok {
		t.Fatalf("link %s", link)
	}
	got, err := ParseDeepLink(link, "")
	if err != nil || got != tok {
		t.Fatalf("parse: %q %v", got, err)
	}
}

func TestSignInLinkWithStateRoundTrip(t *testing.T) {
	tok, state := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwZXRyIn0.sig_-x", "Zq3_-abcdefghijklmnopqrstuvwxyz0123456789AB"
	link := DeepLinkWithState("", tok, state)
	if link != "keboola-analyst://auth?token="+tok+"&state="+state {
		t.Fatalf("link %s", link)
	}
	got, err := ParseSignInLink(link, "")
	if err != nil || got != (SignInLink{Token: tok, State: state}) {
		t.Fatalf("parse: %+v %v", got, err)
	}
	if got, err := ParseSignInLink(DeepLink("", tok), ""); err != nil || got != (SignInLink{Token: tok}) {
		t.Fatalf("seed link: %+v %v", got, err)
	}
}

func TestParseDeepLinkRefusesHostileLinks(t *testing.T) {
	tok := "aaa.bbb.ccc"
	for _, raw := range []string{
		"https://auth?token=" + tok,
		"keboola-analyst://evil?token=" + tok,
		"keboola-analyst://auth@evil?token=" + tok,
		"keboola-analyst://user@auth?token=" + tok,
		"keboola-analyst://auth:99?token=" + tok,
		"keboola-analyst://auth/path?token=" + tok,
		"keboola-analyst://auth?token=" + tok + "#frag",
		"keboola-analyst://auth?token=" + tok + "&server=https://evil",
		"keboola-analyst://auth?token=" + tok + "&token=" + tok,
		"keboola-analyst://auth?state=" + strings.Repeat("s", 20),
		"keboola-analyst://auth?token=" + tok + "&state=short",
		"keboola-analyst://auth?token=" + tok + "&state=" + strings.Repeat("s", MaxStateBytes+1),
		"keboola-analyst://auth?token=" + tok + "&state=" + strings.Repeat("s", 20) + "%3C",
		"keboola-analyst://auth?token=" + tok + "&state=" + strings.Repeat("s", 20) + "&state=" + strings.Repeat("t", 20),
		"keboola-analyst://auth?token=" + tok + "&state=" + strings.Repeat("s", 20) + "&x=1",
		"keboola-analyst://auth?token=",
		"keboola-analyst://auth?token=not-a-jwt",
		"keboola-analyst://auth?token=a.b.c%3Cscript%3E",
		"keboola-analyst://auth?token=" + strings.Repeat("a", MaxTokenBytes) + ".b.c",
		"keboola-analyst:auth?token=" + tok,
		"",
	} {
		if _, err := ParseDeepLink(raw, ""); err == nil {
			t.Errorf("accepted %q", raw)
		}
	}
}

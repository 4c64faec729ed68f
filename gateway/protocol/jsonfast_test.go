package protocol

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The fast decoders against encoding/json on the same input: whatever the
// fast path accepts, encoding/json accepts with the same value, and
// ParseAuthFrame accepts or refuses exactly what encoding/json made it
// accept or refuse before.

// parseAuthFrameStd is ParseAuthFrame as it was: encoding/json alone.
func parseAuthFrameStd(data []byte) (AuthFrame, error) {
	var f AuthFrame
	if len(data) > MaxFrameBytes {
		return f, ErrFrameTooLarge
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return AuthFrame{}, err
	}
	if f.Type != TypeAuth || f.Token == "" {
		return AuthFrame{}, ErrNotAuthFrame
	}
	return f, nil
}

func checkAuthFrameAgrees(t *testing.T, data []byte) {
	t.Helper()
	if fast, ok := fastAuthFrame(data); ok {
		var std AuthFrame
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q: fast path decoded %+v (resume %+v), encoding/json %+v (resume %+v)", data, fast, fast.Resume, std, std.Resume)
		}
	}
	got, gotErr := ParseAuthFrame(data)
	want, wantErr := parseAuthFrameStd(data)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: ParseAuthFrame error %v, encoding/json's %v", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: ParseAuthFrame %+v, encoding/json's %+v", data, got, want)
	}
}

func checkClaimsAgree(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := fastClaims(data)
	if !ok {
		return
	}
	var std Claims
	if err := json.Unmarshal(data, &std); err != nil {
		t.Fatalf("fast path accepted claims %q, encoding/json refuses them: %v", data, err)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("claims %q: fast path %+v, encoding/json %+v", data, fast, std)
	}
}

// authFrameCases are the inputs the differential test and the fuzz seeds
// share: what the apps send, and each way a stranger's frame can differ.
var authFrameCases = []string{
	`{"type":"auth","token":"a.b.c"}`,
	`{"token":"a.b.c","type":"auth"}`,
	` {"type" : "auth" ,` + "\t\r\n" + `"token":"a.b.c"} ` + "\n",
	`{"type":"auth","token":"a.b.c","resume":{"epoch":"e1","seq":3}}`,
	`{"type":"auth","token":"a.b.c","resume":{"seq":3,"epoch":"e1"}}`,
	`{"type":"auth","token":"a.b.c","resume":{}}`,
	`{"type":"auth","token":"a.b.c","resume":{"epoch":"e1"}}`,
	`{"type":"auth","token":"a.b.c","resume":{"seq":0}}`,
	`{"type":"auth","token":"a.b.c","resume":{"seq":18446744073709551615}}`,
	// not an auth frame
	`{"type":"pong"}`, `{"type":"auth"}`, `{"type":"auth","token":""}`, `{}`, `{"token":"a"}`,
	// duplicate keys: the last wins in encoding/json, resume objects merge
	`{"type":"auth","token":"a","token":"b"}`,
	`{"type":"pong","type":"auth","token":"a"}`,
	`{"type":"auth","token":"a","resume":{"epoch":"x"},"resume":{"seq":2}}`,
	`{"type":"auth","token":"a","resume":{"seq":1,"seq":2}}`,
	// keys in another case: encoding/json matches them anyway
	`{"Type":"auth","TOKEN":"a"}`, `{"type":"auth","token":"a","Resume":{"EPOCH":"e","Seq":1}}`,
	// wrong types
	`{"type":"auth","token":1}`, `{"type":"auth","token":true}`, `{"type":["auth"],"token":"a"}`,
	`{"type":"auth","token":"a","resume":[]}`, `{"type":"auth","token":"a","resume":"x"}`,
	`{"type":"auth","token":"a","resume":{"epoch":1,"seq":1}}`,
	`{"type":"auth","token":"a","resume":{"seq":"1"}}`,
	// unknown fields (ignored, if they are valid JSON)
	`{"type":"auth","token":"a","client":"desktop"}`,
	`{"type":"auth","token":"a","x":{"y":[1,2,{"z":null}]}}`,
	`{"type":"auth","token":"a","x":NaN}`, `{"type":"auth","token":"a","x":nan}`,
	`{"type":"auth","token":"a","x":Infinity}`, `{"type":"auth","token":"a","x":inf}`,
	`{"type":"auth","token":"a","x":01}`, `{"type":"auth","token":"a","x":1.}`, `{"type":"auth","token":"a","x":--1}`,
	`{"type":"auth","token":"a","x":"\q"}`, `{"type":"auth","token":"a","x":"` + "\t" + `"}`,
	`{"type":"auth","token":"a","x":tru}`, `{"type":"auth","token":"a","x":nul}`,
	// nulls
	`{"type":"auth","token":null}`, `{"type":null,"token":"a"}`, `{"type":"auth","token":"a","resume":null}`,
	`{"type":"auth","token":"a","resume":{"epoch":null,"seq":null}}`, `null`,
	// escapes in strings and keys
	`{"type":"auth","token":"a\"b"}`, `{"type":"\u0061uth","token":"a"}`, `{"typ\u0065":"auth","token":"a"}`,
	`{"type":"auth","token":"\ud800"}`, `{"type":"auth","token":"\ud83d\ude00"}`, `{"type":"auth","token":"\/"}`,
	`{"type":"auth","token":"\x41"}`, `{"type":"auth","token":"a\u00"}`,
	// control characters and invalid UTF-8 in strings
	"{\"type\":\"auth\",\"token\":\"a\tb\"}", "{\"type\":\"auth\",\"token\":\"a\x00\"}", "{\"type\":\"auth\",\"token\":\"a\x7f\"}",
	"{\"type\":\"auth\",\"token\":\"\xff\xfe\"}", "{\"type\":\"auth\",\"token\":\"\xc3\"}", "{\"type\":\"auth\",\"token\":\"é€😀\"}",
	"{\"type\":\"auth\",\"token\":\"a\",\"resume\":{\"epoch\":\"\xed\xa0\x80\"}}",
	// numbers
	`{"type":"auth","token":"a","resume":{"seq":18446744073709551616}}`,
	`{"type":"auth","token":"a","resume":{"seq":99999999999999999999999}}`,
	`{"type":"auth","token":"a","resume":{"seq":-1}}`, `{"type":"auth","token":"a","resume":{"seq":-0}}`,
	`{"type":"auth","token":"a","resume":{"seq":1.0}}`, `{"type":"auth","token":"a","resume":{"seq":1e2}}`,
	`{"type":"auth","token":"a","resume":{"seq":01}}`, `{"type":"auth","token":"a","resume":{"seq":+1}}`,
	`{"type":"auth","token":"a","resume":{"seq":0x10}}`, `{"type":"auth","token":"a","resume":{"seq":NaN}}`,
	// trailing data, truncation, other documents
	`{"type":"auth","token":"a"}x`, `{"type":"auth","token":"a"}{}`, `{"type":"auth","token":"a"} []`,
	`{"type":"auth","token":"a"`, `{"type":"auth","token":"a",}`, `{"type":"auth",,"token":"a"}`,
	`{"type":"auth" "token":"a"}`, `{'type':'auth','token':'a'}`, `{type:"auth",token:"a"}`,
	"\xef\xbb\xbf{\"type\":\"auth\",\"token\":\"a\"}", "\v{\"type\":\"auth\",\"token\":\"a\"}",
	"{\"type\":\"auth\",\f\"token\":\"a\"}", `[{"type":"auth","token":"a"}]`, `"auth"`, ``, ` `,
	strings.Repeat(`[`, 400) + strings.Repeat(`]`, 400),
	`{"type":"auth","token":"a","x":` + strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001) + `}`,
}

// claimsCases: the claims the webapp issues, and each way a forged or
// foreign token's claims can differ (the signature is checked first, so
// these come only from a holder of the secret, but the decode is the same).
var claimsCases = []string{
	`{"iss":"data-analyst","sub":"petr","exp":1769767200,"iat":1767175200}`,
	`{"sub":"petr","iat":1767175200,"exp":1769767200,"iss":"data-analyst"}`,
	`{}`, `{"sub":"petr"}`, `{"exp":0,"iat":0}`, `{"exp":999999999999999}`, `{"exp":9999999999999999}`,
	`{"exp":99999999999999999999}`, `{"exp":1.5}`, `{"exp":1e9}`, `{"exp":-1}`, `{"exp":"1"}`, `{"exp":null}`,
	`{"exp":01}`, `{"iat":1767175200.999}`,
	`{"sub":"a","sub":"b"}`, `{"exp":1,"exp":2}`, `{"SUB":"petr"}`, `{"Iss":"data-analyst"}`,
	`{"sub":"petr","aud":"x"}`, `{"sub":"petr","aud":["x","y"]}`, `{"sub":"petr","nbf":1}`, `{"sub":"petr","jti":"1"}`,
	`{"sub":"petr","role":"admin"}`, `{"sub":null}`, `{"sub":1}`, `{"sub":"p\u0065tr"}`, `{"sub":"p\"etr"}`,
	"{\"sub\":\"p\xffetr\"}", "{\"sub\":\"p\tetr\"}", "{\"sub\":\"пётр\"}",
	`{"sub":"petr"}x`, `{"sub":"petr"`, `[]`, `null`, `"petr"`, ``,
}

func TestFastDecodersAgreeWithEncodingJSON(t *testing.T) {
	for _, c := range authFrameCases {
		checkAuthFrameAgrees(t, []byte(c))
	}
	for _, c := range claimsCases {
		checkClaimsAgree(t, []byte(c))
	}
	// A frame past the budget is refused before any decode.
	big := []byte(`{"type":"auth","token":"` + strings.Repeat("a", MaxFrameBytes) + `"}`)
	if _, err := ParseAuthFrame(big); err == nil {
		t.Fatal("accepted an auth frame over MaxFrameBytes")
	}
}

// The fast path takes the frames and claims the apps and the webapp
// actually send (otherwise it would only cost a second parse).
func TestFastDecodersTakeWhatTheAppsSend(t *testing.T) {
	now := time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC)
	tok, want, err := IssueToken(testSecret, "", "petr", now)
	if err != nil {
		t.Fatal(err)
	}
	seq := 3
	for _, f := range []AuthFrame{
		{Type: TypeAuth, Token: tok},
		{Type: TypeAuth, Token: tok, Resume: &Resume{Epoch: "0193a2b4c5d6e7f8", Seq: uint64(seq)}},
	} {
		data, _ := json.Marshal(f)
		got, ok := fastAuthFrame(data)
		if !ok || !reflect.DeepEqual(got, f) {
			t.Fatalf("fast path did not take %s: %+v %v", data, got, ok)
		}
	}
	claimsJSON, _ := json.Marshal(want)
	got, ok := fastClaims(claimsJSON)
	if !ok {
		t.Fatalf("fast path did not take the webapp's claims %s", claimsJSON)
	}
	if got.Subject != "petr" || got.Issuer != DefaultIssuer || !got.IssuedAt.Equal(want.IssuedAt.Time) || !got.ExpiresAt.Equal(want.ExpiresAt.Time) {
		t.Fatalf("claims %s decoded as %+v", claimsJSON, got)
	}
	if c, err := VerifyToken(testSecret, "", tok, now); err != nil || c.Subject != "petr" {
		t.Fatalf("VerifyToken: %+v %v", c, err)
	}
}

// FuzzFastAuthFrame compares the auth frame's decode with encoding/json's
// on the same input: go test -run '^$' -fuzz FuzzFastAuthFrame -fuzztime 200000x ./gateway/protocol/
func FuzzFastAuthFrame(f *testing.F) {
	for _, c := range authFrameCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkAuthFrameAgrees(t, data) })
}

// FuzzFastClaims compares the claims' decode with encoding/json's.
func FuzzFastClaims(f *testing.F) {
	for _, c := range claimsCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkClaimsAgree(t, data) })
}

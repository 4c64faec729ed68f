package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

var fastJSONSeeds = []string{
	`{"type":"auth","token":"a.b.c"}`, `{ "token" : "x.y.z" , "type" : "auth" }`, `{"type": "auth", "token": "t"}`,
	`{"type":"auth","token":"x","resume":{"epoch":"e","seq":3}}`, `{"type":"auth","token":"a\u002eb"}`, `{"Type":"auth","token":"t"}`,
	`{"type":"auth","token":"t","type":"pong"}`, `{"type":"auth","token":1}`, `{"type":"auth","token":"é"}`, `{}`, ` {} `, `{`, `null`, `[]`,
	`{"sub":"petr","iss":"data-analyst","iat":1764000000,"exp":1766592000}`, `{"sub":"a","iat":1.5,"exp":1e9}`, `{"sub":"a","exp":-1}`,
	`{"sub":"a","aud":"x","nbf":0,"jti":"j"}`, `{"sub":"a","iat":01}`, `{"sub":"a","iat":1234567890123456}`, `{"sub":null,"iss":"i"}`,
	`{"sub":"a","SUB":"b"}`, `{"iat":"5"}`, `{"sub":"a"}x`, `{"sub":"a",}`,
}

// The fast decoders must agree with encoding/json on every input: the
// same value when both succeed, and the fast auth-frame path may only
// succeed where encoding/json does.
func FuzzFastJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range fastJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastJSON(t, data) })
}

func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range fastJSONSeeds {
		checkFastJSON(t, []byte(s))
	}
	// The token claims golang-jwt issues take the fast path.
	secret := []byte("fast-json-secret-0123456789abcdef0123456789")
	tok, want, err := IssueToken(secret, "", "petr", time.Unix(1764000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyToken(secret, "", tok, time.Unix(1764000001, 0))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("verify = %+v, %v; want %+v", got, err, want)
	}
	if _, ok := parseAuthFrameFast([]byte(`{"type":"auth","token":"` + tok + `"}`)); !ok {
		t.Fatal("a plain auth frame missed the fast path")
	}
}

func checkFastJSON(t *testing.T, data []byte) {
	t.Helper()
	var want AuthFrame
	wantErr := json.Unmarshal(data, &want)
	if got, ok := parseAuthFrameFast(data); ok && (wantErr != nil || !reflect.DeepEqual(got, want)) {
		t.Fatalf("auth frame %q: fast %+v, encoding/json %+v (%v)", data, got, want, wantErr)
	}
	var c Claims
	var w claimsJSON
	gotErr := json.Unmarshal(data, &c)
	wantErr = json.Unmarshal(data, &w)
	if (gotErr == nil) != (wantErr == nil) || gotErr == nil && !reflect.DeepEqual(c, Claims(w)) {
		t.Fatalf("claims %q: fast %+v (%v), encoding/json %+v (%v)", data, c, gotErr, w, wantErr)
	}
}

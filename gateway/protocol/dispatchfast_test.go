package protocol

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// parseDispatchStd is ParseDispatch as it was: encoding/json alone.
func parseDispatchStd(body []byte) (DispatchRequest, error) {
	var req DispatchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return DispatchRequest{}, err
	}
	if _, err := checkDispatch(req); err != nil {
		return DispatchRequest{}, err
	}
	return req, nil
}

func checkDispatchAgrees(t *testing.T, data []byte) {
	t.Helper()
	if fast, ok := fastDispatch(data); ok {
		var std DispatchRequest
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", data, err)
		}
		if fast.User != std.User || string(fast.Notification) != string(std.Notification) ||
			(fast.Notification == nil) != (std.Notification == nil) {
			t.Fatalf("%q: fast path decoded %q %q, encoding/json %q %q", data, fast.User, fast.Notification, std.User, std.Notification)
		}
	}
	got, gotErr := ParseDispatch(data)
	want, wantErr := parseDispatchStd(data)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: ParseDispatch error %v, encoding/json's %v", data, gotErr, wantErr)
	}
	if gotErr != nil && !strings.HasSuffix(gotErr.Error(), wantErr.Error()) {
		t.Fatalf("%q: ParseDispatch error %q, encoding/json's %q", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) && !(string(got.Notification) == string(want.Notification) && got.User == want.User) {
		t.Fatalf("%q: ParseDispatch %q %q, encoding/json's %q %q", data, got.User, got.Notification, want.User, want.Notification)
	}
}

// dispatchCases are the inputs the differential test and the fuzz seeds
// share: what dispatchers send, and each way a caller's body can differ.
var dispatchCases = []string{
	`{"user":"petr","notification":{"title":"x","message":"y"}}`,
	`{"notification":{"title":"x"},"user":"petr"}`,
	" {\"user\" : \"petr\" ,\t\r\n\"notification\" :\n{ \"title\" : \"x\" } } \n",
	`{"user":"petr","notification":{"title":"a\"b\\c\u00e9\n","n":[1,{"a":"}"}],"x":null,"t":true,"f":-1.5e3}}`,
	`{"user":"petr","notification":{}}`, `{"user":"petr","notification":{ }}`, `{"user":"petr"}`,
	`{"notification":{"title":"x"}}`, `{}`, `{"user":"","notification":{"title":"x"}}`,
	`{"user":"petr","notification":{"type":"x","seq":"y","epoch":1}}`,
	// wrong types and nulls
	`{"user":"petr","notification":null}`, `{"user":"petr","notification":[1]}`, `{"user":"petr","notification":"x"}`,
	`{"user":"petr","notification":1}`, `{"user":null,"notification":{"title":"x"}}`, `{"user":1,"notification":{}}`,
	`{"user":["petr"],"notification":{"title":"x"}}`, `{"user":{"a":1},"notification":{"title":"x"}}`,
	// duplicates: the last wins in encoding/json
	`{"user":"a","user":"b","notification":{"title":"x"}}`,
	`{"user":"a","notification":{"title":"x"},"notification":{"title":"y"}}`,
	`{"user":"a","notification":{"title":"x"},"notification":null}`,
	`{"user":"","user":"b","notification":{"title":"x"}}`,
	// keys in another case or spelled with an escape: encoding/json matches them
	`{"USER":"petr","Notification":{"title":"x"}}`, `{"us\u0065r":"petr","notification":{"title":"x"}}`,
	"{\"u\u017fer\":\"petr\",\"notification\":{\"title\":\"x\"}}",
	// unknown keys: ignored by encoding/json
	`{"user":"petr","notification":{"title":"x"},"priority":"high"}`, `{"x":{"user":"a"},"user":"petr","notification":{}}`,
	// the user: escapes, control characters, invalid UTF-8, length
	`{"user":"p\u0065tr","notification":{"title":"x"}}`, `{"user":"p\"etr","notification":{"title":"x"}}`,
	`{"user":"p\tetr","notification":{"title":"x"}}`, `{"user":"p\u007fetr","notification":{"title":"x"}}`,
	"{\"user\":\"p\x7fetr\",\"notification\":{\"title\":\"x\"}}", "{\"user\":\"p\xffetr\",\"notification\":{\"title\":\"x\"}}",
	"{\"user\":\"p\tetr\",\"notification\":{\"title\":\"x\"}}", "{\"user\":\"пётр\",\"notification\":{\"title\":\"x\"}}",
	`{"user":"` + strings.Repeat("a", MaxUserBytes) + `","notification":{"title":"x"}}`,
	`{"user":"` + strings.Repeat("a", MaxUserBytes+1) + `","notification":{"title":"x"}}`,
	`{"user":"\ud800","notification":{"title":"x"}}`,
	// invalid JSON, trailing data, other documents
	`{"user":"petr","notification":{"title":"x"}}x`, `{"user":"petr","notification":{"title":"x"}}{}`,
	`{"user":"petr","notification":{"title":"x"}`, `{"user":"petr","notification":{"title":"x",}}`,
	`{"user":"petr",,"notification":{}}`, `{"user":"petr" "notification":{}}`, `{'user':'petr'}`,
	`{"user":"petr","notification":{"title":NaN}}`, `{"user":"petr","notification":{"n":01}}`,
	"{\"user\":\"petr\",\"notification\":{\"title\":\"a\tb\"}}", "{\"user\":\"petr\",\"notification\":{\"title\":\"\xff\"}}",
	`{"user":"petr","notification":{"title":"\q"}}`, "\xef\xbb\xbf{\"user\":\"petr\",\"notification\":{}}",
	"\v{\"user\":\"petr\",\"notification\":{}}", `[{"user":"petr","notification":{}}]`, `[]`, `null`, `"petr"`, ``, ` `, `1`,
	`{"user":"petr","notification":{"x":` + strings.Repeat(`[`, 9990) + strings.Repeat(`]`, 9990) + `}}`,
	`{"user":"petr","notification":{"x":` + strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001) + `}}`,
}

func TestFastDispatchAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range dispatchCases {
		checkDispatchAgrees(t, []byte(c))
	}
}

// The fast path takes what dispatchers send (otherwise it would only cost
// a second parse), and keeps the notification's bytes as sent.
func TestFastDispatchTakesWhatDispatchersSend(t *testing.T) {
	for _, c := range []string{
		`{"user":"petr","notification":{"title":"x","message":"y"}}`,
		`{"user": "petr", "notification": {"title": "Sales \u00e9 \"up\"\n", "image_url": "https://x/y.png", "urgent": true}}`,
	} {
		req, ok := fastDispatch([]byte(c))
		if !ok || req.User != "petr" || !strings.Contains(c, string(req.Notification)) || req.Notification[0] != '{' {
			t.Fatalf("fast path did not take %s: %q %q %v", c, req.User, req.Notification, ok)
		}
	}
	// What the webapp's dispatcher marshals.
	body, _ := json.Marshal(struct {
		User         string       `json:"user"`
		Notification Notification `json:"notification"`
	}{"petr", Notification{ID: "1", Title: "<b>x</b> & y", Message: "line\nline", Timestamp: "2026-01-30T10:00:00Z"}})
	if _, ok := fastDispatch(body); !ok {
		t.Fatalf("fast path did not take %s", body)
	}
}

// The copy: the caller's buffer (fasthttp's) is reused for the next request.
func TestParseDispatchCopiesTheNotification(t *testing.T) {
	body := []byte(`{"user":"petr","notification":{"title":"x"}}`)
	req, err := ParseDispatch(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = ' '
	}
	if string(req.Notification) != `{"title":"x"}` || req.User != "petr" {
		t.Fatalf("the request changed with the body's buffer: %q %q", req.User, req.Notification)
	}
}

// FuzzFastDispatch compares the dispatch body's decode with encoding/json's
// on the same input: go test -run '^$' -fuzz FuzzFastDispatch -fuzztime 200000x ./gateway/protocol/
func FuzzFastDispatch(f *testing.F) {
	for _, c := range dispatchCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDispatchAgrees(t, data) })
}
